import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OwnerKind } from '../owners/execution-owner.js';

/**
 * What regrelay wrote where: per destination tag, the digest written, where it came
 * from (origin registry and repository), which owner wrote it and when. Keyed by the
 * destination, so "did regrelay write this tag here, with this digest?" is one
 * primary-key lookup — the question delete propagation, echo recognition (a
 * destination's webhook reporting regrelay's own write) and the dual-master
 * three-way merge stand on. One row per destination tag: the latest write wins.
 */
@Entity({ name: 'ledger' })
export class LedgerEntity {
  @PrimaryColumn({ name: 'destination_registry_id', type: 'uuid' })
  destinationRegistryId!: string;

  /** Destination repository. */
  @PrimaryColumn({ type: 'text' })
  repository!: string;

  @PrimaryColumn({ type: 'text' })
  tag!: string;

  @Column({ type: 'text' })
  digest!: string;

  @Column({ name: 'origin_registry_id', type: 'uuid' })
  originRegistryId!: string;

  @Column({ name: 'origin_repository', type: 'text' })
  originRepository!: string;

  @Column({ name: 'owner_kind', type: 'text' })
  ownerKind!: OwnerKind;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @Column({ name: 'execution_id', type: 'uuid', nullable: true })
  executionId!: string | null;

  @Column({ name: 'written_at', type: 'timestamptz' })
  writtenAt!: Date;
}
