import { CopyButton } from './copy-button';

/** A secret the server shows this once: the value, a copy button, and what to do with it. */
export function SecretReveal({ secret, label }: { secret: string; label: string }) {
  return (
    <div class="secret">
      <p>
        <strong>{label}</strong> It is shown only now: store it in the registry's notification
        settings (see docs/events.md). If it is lost, rotate it.
      </p>
      <div class="secret-row">
        <code class="secret-value" data-testid="secret">
          {secret}
        </code>
        <CopyButton text={secret} />
      </div>
    </div>
  );
}
