import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One change made over the API (see AuditInterceptor). */
@Entity({ name: 'audit_log' })
export class AuditLogEntity {
  /** bigint, as pg gives it: a string. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ name: 'actor_token_id', type: 'uuid', nullable: true })
  actorTokenId!: string | null;

  /** The token's name when the change was made (tokens may be renamed or deleted later). */
  @Column({ name: 'actor_name', type: 'text' })
  actorName!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'resource_type', type: 'text' })
  resourceType!: string;

  @Column({ name: 'resource_id', type: 'text', nullable: true })
  resourceId!: string | null;

  /** The resource as it was, secrets redacted; null for a creation or where not loadable. */
  @Column({ type: 'jsonb', nullable: true })
  before!: unknown;

  /** The resource as it became (or the answer to the request), secrets redacted. */
  @Column({ type: 'jsonb', nullable: true })
  after!: unknown;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;
}
