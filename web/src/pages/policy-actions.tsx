import { useState } from 'preact/hooks';
import { api, errorText } from '../api/client';
import type { Policy, TriggeredExecution } from '../api/types';
import { Link, navigate } from '../router';

/** Runs a policy now and opens the execution it started (or joined). */
export async function runPolicy(id: string): Promise<void> {
  const started = await api<TriggeredExecution>(`/api/v1/policies/${id}/executions`, {
    method: 'POST',
  });
  navigate(`/executions/${started.id}`);
}

/** Runs an action on a policy, then `onDone`; keeps the refusal to show. */
export function usePolicyAction(onDone: () => void) {
  const [error, setError] = useState<string>();
  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      onDone();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return { act, error };
}

/** Run now, enable/disable and edit: the same on the list and on the policy's page. */
export function PolicyButtons({
  policy,
  act,
  small = false,
}: {
  policy: Policy;
  act: (work: () => Promise<unknown>) => Promise<void>;
  small?: boolean;
}) {
  const size = small ? ' small' : '';
  return (
    <>
      <button
        type="button"
        class={small ? 'button small' : 'button primary'}
        disabled={!policy.enabled}
        onClick={() => void act(() => runPolicy(policy.id))}
      >
        Run now
      </button>
      <button
        type="button"
        class={`button${size}`}
        onClick={() =>
          void act(() =>
            api(`/api/v1/policies/${policy.id}`, {
              method: 'PATCH',
              json: { enabled: !policy.enabled },
            }),
          )
        }
      >
        {policy.enabled ? 'Disable' : 'Enable'}
      </button>
      <Link href={`/policies/${policy.id}/edit`} class={`button${size}`}>
        Edit
      </Link>
    </>
  );
}
