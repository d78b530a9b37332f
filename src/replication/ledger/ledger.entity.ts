import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What a policy wrote where: destination tag → the digest written, and the source
 * digest at that time. Delete propagation and dual-master decisions stand on it:
 * "did we put this here, and has either side changed since?"
 */
@Entity({ name: 'ledger' })
export class LedgerEntity {
  @PrimaryColumn({ name: 'policy_id', type: 'uuid' })
  policyId!: string;

  @PrimaryColumn({ name: 'destination_registry_id', type: 'uuid' })
  destinationRegistryId!: string;

  /** Destination repository. */
  @PrimaryColumn({ type: 'text' })
  repository!: string;

  @PrimaryColumn({ type: 'text' })
  tag!: string;

  @Column({ type: 'text' })
  digest!: string;

  @Column({ name: 'source_repository', type: 'text' })
  sourceRepository!: string;

  @Column({ name: 'source_digest', type: 'text' })
  sourceDigest!: string;

  @Column({ name: 'execution_id', type: 'uuid', nullable: true })
  executionId!: string | null;

  @Column({ name: 'written_at', type: 'timestamptz' })
  writtenAt!: Date;
}
