import type { ComponentChildren } from 'preact';
import { errorText } from '../api/client';

export function ErrorNotice({ message, error }: { message?: string; error?: unknown }) {
  return (
    <div class="notice error" role="alert">
      {message ?? errorText(error)}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice info" role="status">
      {children}
    </div>
  );
}
