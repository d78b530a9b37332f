import { useExecutionEvents } from '../hooks/use-execution-events';

/**
 * Follows one execution's event stream while it runs and calls `onChange` (at most
 * once a second): a page with a list of executions renders one per active execution.
 */
export function FollowExecution({ id, onChange }: { id: string; onChange: () => void }) {
  useExecutionEvents(id, true, onChange);
  return null;
}
