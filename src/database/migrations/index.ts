import { CreateApiTokens1763798400000 } from './1763798400000-create-api-tokens.js';
import { CreateReplicationSchema1763884800000 } from './1763884800000-create-replication-schema.js';
import { DeletionGuardAndDrift1763971200000 } from './1763971200000-deletion-guard-and-drift.js';
import { CreateEventInbox1764057600000 } from './1764057600000-create-event-inbox.js';
import { TaskFanOutSiblings1764144000000 } from './1764144000000-task-fan-out-siblings.js';
import { KeyedLookups1764403200000 } from './1764403200000-keyed-lookups.js';
import { CreateAuditLog1764403200001 } from './1764403200001-create-audit-log.js';

/** Every migration, oldest first. Listed explicitly: ESM has no reliable glob loading. */
export const migrations = [
  CreateApiTokens1763798400000,
  CreateReplicationSchema1763884800000,
  DeletionGuardAndDrift1763971200000,
  CreateEventInbox1764057600000,
  TaskFanOutSiblings1764144000000,
  KeyedLookups1764403200000,
  CreateAuditLog1764403200001,
];
