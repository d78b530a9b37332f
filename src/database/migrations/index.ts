import { CreateApiTokens1763798400000 } from './1763798400000-create-api-tokens.js';
import { CreateReplicationSchema1763884800000 } from './1763884800000-create-replication-schema.js';
import { DeletionGuardAndDrift1763971200000 } from './1763971200000-deletion-guard-and-drift.js';
import { CreateEventInbox1764057600000 } from './1764057600000-create-event-inbox.js';
import { TaskFanOutSiblings1764144000000 } from './1764144000000-task-fan-out-siblings.js';
import { ExecutionOwnersAndPairLedger1764230400000 } from './1764230400000-execution-owners-and-pair-ledger.js';
import { OwnerKindsTopologyPromotion1764230400001 } from './1764230400001-owner-kinds-topology-promotion.js';
import { ExecutionOwnerLane1764230400002 } from './1764230400002-execution-owner-lane.js';
import { RegistryTokenRealmHosts1764316800000 } from './1764316800000-registry-token-realm-hosts.js';
import { KeyedLookups1764403200000 } from './1764403200000-keyed-lookups.js';
import { CreateAuditLog1764403200001 } from './1764403200001-create-audit-log.js';
import { RegistryDragonfly1764576000000 } from './1764576000000-registry-dragonfly.js';
import { CreatePreheat1764576000001 } from './1764576000001-create-preheat.js';
import { AttachedArtifacts1764748800000 } from './1764748800000-attached-artifacts.js';
import { TagSelectionAndVariants1764748800001 } from './1764748800001-tag-selection-and-variants.js';
import { CreateTopologies1764835200000 } from './1764835200000-create-topologies.js';
import { ExecutionTagsInPlace1764921600000 } from './1764921600000-execution-tags-in-place.js';
import { TaskDestinationEmpty1765008000000 } from './1765008000000-task-destination-empty.js';
import { InboxRejectionsAndRegistryTimezone1764489600000 } from './1764489600000-inbox-rejections-and-registry-timezone.js';
import { CreatePromotions1764662400000 } from './1764662400000-create-promotions.js';

/** Every migration, oldest first. Listed explicitly: ESM has no reliable glob loading. */
export const migrations = [
  CreateApiTokens1763798400000,
  CreateReplicationSchema1763884800000,
  DeletionGuardAndDrift1763971200000,
  CreateEventInbox1764057600000,
  TaskFanOutSiblings1764144000000,
  ExecutionOwnersAndPairLedger1764230400000,
  OwnerKindsTopologyPromotion1764230400001,
  ExecutionOwnerLane1764230400002,
  RegistryTokenRealmHosts1764316800000,
  KeyedLookups1764403200000,
  CreateAuditLog1764403200001,
  InboxRejectionsAndRegistryTimezone1764489600000,
  RegistryDragonfly1764576000000,
  CreatePreheat1764576000001,
  CreatePromotions1764662400000,
  AttachedArtifacts1764748800000,
  TagSelectionAndVariants1764748800001,
  CreateTopologies1764835200000,
  ExecutionTagsInPlace1764921600000,
  TaskDestinationEmpty1765008000000,
];
