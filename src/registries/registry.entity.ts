import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { bigintColumn } from '../common/bigint-column.js';

/** What a registry was found to support (see RegistryClient capabilities). */
export interface RegistryCapabilities {
  referrersApi: boolean;
  tagDelete: boolean;
  catalog: boolean;
}

export const DRAGONFLY_SCOPES = ['single_seed_peer', 'all_seed_peers', 'all_peers'] as const;
export type DragonflyScope = (typeof DRAGONFLY_SCOPES)[number];

/** A Dragonfly manager to preheat what is delivered here (its token is sealed apart). */
export interface DragonflyManagerSettings {
  url: string;
  scope: DragonflyScope;
  platforms: string[];
  schedulerClusterIds: number[];
  passCredentials: boolean;
}

@Entity({ name: 'registry' })
export class RegistryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  /** Base URL, e.g. `https://registry.example.com` (no /v2). */
  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', nullable: true })
  username!: string | null;

  /** SecretBox-sealed; never leaves the service. */
  @Column({ name: 'password_sealed', type: 'text', nullable: true })
  passwordSealed!: string | null;

  /** SecretBox-sealed webhook secret; shown once when set, never returned after. */
  @Column({ name: 'webhook_secret_sealed', type: 'text', nullable: true })
  webhookSecretSealed!: string | null;

  /** Lookup key of the webhook secret (see webhookSecretLookupKey); unique. */
  @Column({ name: 'webhook_secret_hash', type: 'text', nullable: true })
  webhookSecretHash!: string | null;

  @Column({ name: 'insecure_tls', type: 'boolean', default: false })
  insecureTls!: boolean;

  @Column({ name: 'ca_cert', type: 'text', nullable: true })
  caCert!: string | null;

  /** Hosts besides the registry's own that its token realm may receive credentials on. */
  @Column({ name: 'token_realm_hosts', type: 'text', array: true, default: () => "'{}'" })
  tokenRealmHosts!: string[];

  @Column({ name: 'max_concurrent_requests', type: 'integer', nullable: true })
  maxConcurrentRequests!: number | null;

  /** Bytes per second shared by every transfer to or from this registry. */
  @Column({ name: 'bandwidth_limit', type: 'bigint', nullable: true, transformer: bigintColumn })
  bandwidthLimit!: number | null;

  /**
   * IANA time zone of the registry's webhook timestamps that carry none (ACR); null:
   * DEFAULT_REGISTRY_TIMEZONE.
   */
  @Column({ type: 'text', nullable: true })
  timezone!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  capabilities!: RegistryCapabilities | null;

  @Column({ name: 'capabilities_checked_at', type: 'timestamptz', nullable: true })
  capabilitiesCheckedAt!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  dragonfly!: DragonflyManagerSettings | null;

  /** SecretBox-sealed Dragonfly personal access token; never leaves the service. */
  @Column({ name: 'dragonfly_token_sealed', type: 'text', nullable: true })
  dragonflyTokenSealed!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
