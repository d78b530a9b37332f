import { AuditLogEntity } from '../audit/audit-log.entity.js';
import { ApiTokenEntity } from '../auth/api-token.entity.js';
import { EventInboxEntity } from '../events/event-inbox.entity.js';
import { PolicyDestinationEntity, PolicyEntity } from '../policies/policy.entity.js';
import { RegistryEntity } from '../registries/registry.entity.js';
import { ExecutionEntity } from '../replication/executions/execution.entity.js';
import { LedgerEntity } from '../replication/ledger/ledger.entity.js';
import { TaskEntity } from '../replication/tasks/task.entity.js';

/** Every TypeORM entity. Listed explicitly: ESM has no reliable glob loading. */
export const entities = [
  ApiTokenEntity,
  RegistryEntity,
  PolicyEntity,
  PolicyDestinationEntity,
  ExecutionEntity,
  TaskEntity,
  LedgerEntity,
  EventInboxEntity,
  AuditLogEntity,
];
