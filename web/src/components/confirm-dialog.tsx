import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { errorText } from '../api/client';
import { Dialog } from './dialog';
import { ErrorNotice } from './notice';

interface ConfirmDialogProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** A checkbox the person must tick first, for what cannot be undone. */
  acknowledge?: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** Shows a refusal with more than its message (a 409 naming what blocks it). */
  renderError?: (error: unknown) => ComponentChildren;
}

/** Asks before acting; shows the server's refusal in place instead of closing. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [checked, setChecked] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  const blocked = busy || (props.acknowledge !== undefined && !checked);
  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            class={props.danger ? 'button danger' : 'button primary'}
            disabled={blocked}
            onClick={() => void confirm()}
          >
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </>
      }
    >
      {props.children}
      {props.acknowledge !== undefined && (
        <label class="check">
          <input
            type="checkbox"
            checked={checked}
            onChange={(e) => setChecked(e.currentTarget.checked)}
          />{' '}
          {props.acknowledge}
        </label>
      )}
      {error !== undefined &&
        (props.renderError?.(error) ?? <ErrorNotice message={errorText(error)} />)}
    </Dialog>
  );
}
