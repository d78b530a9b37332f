import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Where a token came from: REGRELAY_ADMIN_TOKEN, generated at first start, or the API. */
export type TokenSource = 'env' | 'generated' | 'api';

/** Who revoked a token: a person over the API, or regrelay when REGRELAY_ADMIN_TOKEN changed. */
export type RevokedBy = 'api' | 'bootstrap';

/**
 * An API token. Only its keyed lookup value is stored (see LookupKeys); the token
 * itself is shown once.
 */
@Entity({ name: 'api_token' })
export class ApiTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  role!: Role;

  @Column({ type: 'text' })
  source!: TokenSource;

  /** `hmac:<hex>` (LookupKeys), or a bare SHA-256 on a row not re-keyed yet. */
  @Column({ name: 'token_hash', type: 'text', unique: true, select: false })
  tokenHash!: string;

  /** Tells tokens apart without revealing any of a token's secret (see tokenHint). */
  @Column({ name: 'token_hint', type: 'text', nullable: true })
  tokenHint!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** Null on rows revoked before this was recorded: treated as revoked by a person. */
  @Column({ name: 'revoked_by', type: 'text', nullable: true })
  revokedBy!: RevokedBy | null;
}
