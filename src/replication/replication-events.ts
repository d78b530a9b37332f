import type { ExecutionStatus } from './executions/execution.entity.js';
import type { ExecutionOwner } from './owners/execution-owner.js';
import type { TaskStatus } from './tasks/task.entity.js';

/** What happens during replication, as seen by SSE clients and by other replicas. */
export type ReplicationEvent =
  | { type: 'execution.created'; executionId: string; owner: ExecutionOwner }
  | { type: 'execution.started'; executionId: string; owner: ExecutionOwner }
  | { type: 'execution.stop'; executionId: string }
  | {
      type: 'execution.finished';
      executionId: string;
      owner: ExecutionOwner;
      status: ExecutionStatus;
      message: string | null;
    }
  | { type: 'tasks.available'; executionId: string }
  | {
      type: 'task.started';
      executionId: string;
      taskId: string;
      repository: string;
      tag: string | null;
      destinationRegistryId: string;
      attempt: number;
    }
  | {
      type: 'task.progress';
      executionId: string;
      taskId: string;
      bytesDone: number;
      bytesTotal: number;
    }
  | {
      type: 'task.finished';
      executionId: string;
      taskId: string;
      status: TaskStatus;
      reason: string | null;
      bytes: number;
    }
  | { type: 'policy.changed'; policyId: string }
  /** A webhook stored new events of this registry: coalescers start its window now. */
  | { type: 'events.received'; registryId: string };

export type ReplicationEventType = ReplicationEvent['type'];
