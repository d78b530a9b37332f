import { randomUUID, X509Certificate } from 'node:crypto';
import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { In, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation, nameTaken, notFound } from '../common/errors.js';
import { InvalidInputException, type FieldError } from '../common/validation.js';
import { queryRows } from '../database/sql.js';
import type { ResealResult } from '../secrets/key-rotation.js';
import { LookupKeys } from '../secrets/lookup-keys.js';
import { SecretBox, SecretUnreadableError } from '../secrets/secret-box.js';
import type { CreateRegistryDto, UpdateRegistryDto } from './dto/registry.dto.js';
import { RegistryEntity, type RegistryCapabilities } from './registry.entity.js';
import { normaliseRegistryUrl } from './registry-url.js';
import {
  generateWebhookSecret,
  sameWebhookSecret,
  webhookSecretDigest,
  webhookSecretLookupKey,
} from './webhook-secret.js';

/** Credentials as the OCI client needs them; only this service opens the sealed password. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** A new registry and its webhook secret, which is shown this once. */
export interface CreatedRegistry {
  registry: RegistryEntity;
  webhookSecret: string;
}

/** The unique index that keeps two registries from sharing a webhook secret. */
const WEBHOOK_SECRET_INDEX = 'registry_webhook_secret_hash';

/** Listeners are told when a registry's connection settings change, to drop cached clients. */
export type RegistryChangeListener = (registryId: string) => void;

@Injectable()
export class RegistriesService {
  private readonly listeners = new Set<RegistryChangeListener>();

  constructor(
    @InjectRepository(RegistryEntity) private readonly registries: Repository<RegistryEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly lookupKeys: LookupKeys,
  ) {}

  onChange(listener: RegistryChangeListener): void {
    this.listeners.add(listener);
  }

  async create(dto: CreateRegistryDto): Promise<CreatedRegistry> {
    const id = randomUUID();
    const webhookSecret = dto.webhookSecret ?? generateWebhookSecret();
    const entity = this.registries.create({
      id,
      name: dto.name,
      url: this.checkedUrl(dto.url),
      username: dto.username ?? null,
      passwordSealed: dto.password ? this.sealPassword(id, dto.password) : null,
      ...this.webhookSecretColumns(id, webhookSecret),
      insecureTls: dto.insecureTls ?? false,
      caCert: dto.caCert ? checkedCaCert(dto.caCert) : null,
      maxConcurrentRequests: dto.maxConcurrentRequests ?? null,
      bandwidthLimit: dto.bandwidthLimit ?? null,
      capabilities: null,
      capabilitiesCheckedAt: null,
    });
    try {
      return { registry: await this.registries.save(entity), webhookSecret };
    } catch (error) {
      if (isUniqueViolation(error, WEBHOOK_SECRET_INDEX)) throw webhookSecretTaken();
      if (isUniqueViolation(error)) throw nameTaken('registry', dto.name);
      throw error;
    }
  }

  /**
   * Replaces a registry's webhook secret with `given` or a new random one, and
   * returns it (shown this once). The old secret stops working at once.
   */
  async rotateWebhookSecret(id: string, given?: string): Promise<string> {
    await this.get(id);
    const webhookSecret = given ?? generateWebhookSecret();
    try {
      await this.registries.update(id, this.webhookSecretColumns(id, webhookSecret));
    } catch (error) {
      if (isUniqueViolation(error, WEBHOOK_SECRET_INDEX)) throw webhookSecretTaken();
      throw error;
    }
    return webhookSecret;
  }

  /**
   * The registry whose webhook secret this is, or undefined. Found by the secret's
   * lookup key, then confirmed against the sealed secret in constant time.
   */
  async findByWebhookSecret(secret: string): Promise<RegistryEntity | undefined> {
    // The bare digest finds a row not re-keyed yet (see rekeyLegacyWebhookLookups).
    const found = await this.registries.findOneBy({
      webhookSecretHash: In([
        webhookSecretLookupKey(secret, this.lookupKeys),
        webhookSecretDigest(secret),
      ]),
    });
    if (!found?.webhookSecretSealed) return undefined;
    // An unreadable sealed value (changed REGRELAY_SECRET_KEY) throws: a 500 the
    // registry retries, and a log line naming the cause, rather than a silent 401.
    const stored = this.secrets.open(found.webhookSecretSealed, webhookSecretContext(found.id));
    return sameWebhookSecret(stored, secret) ? found : undefined;
  }

  list(): Promise<RegistryEntity[]> {
    return this.registries.find({ order: { name: 'ASC' } });
  }

  async get(id: string): Promise<RegistryEntity> {
    const found = await this.registries.findOneBy({ id });
    if (!found) throw notFound('Registry', id);
    return found;
  }

  /** Registries by id; a missing one is absent from the map. */
  async getMany(ids: readonly string[]): Promise<Map<string, RegistryEntity>> {
    const rows = ids.length ? await this.registries.findBy({ id: In([...new Set(ids)]) }) : [];
    return new Map(rows.map((r) => [r.id, r]));
  }

  async update(id: string, dto: UpdateRegistryDto): Promise<RegistryEntity> {
    const entity = await this.get(id);
    if (dto.name !== undefined) entity.name = dto.name;
    if (dto.url !== undefined) entity.url = this.checkedUrl(dto.url);
    if (dto.username !== undefined) entity.username = dto.username ?? null;
    if (dto.password !== undefined)
      entity.passwordSealed = dto.password === null ? null : this.sealPassword(id, dto.password);
    if (dto.insecureTls !== undefined) entity.insecureTls = dto.insecureTls;
    if (dto.caCert !== undefined)
      entity.caCert = dto.caCert === null ? null : checkedCaCert(dto.caCert);
    if (dto.maxConcurrentRequests !== undefined)
      entity.maxConcurrentRequests = dto.maxConcurrentRequests ?? null;
    if (dto.bandwidthLimit !== undefined) entity.bandwidthLimit = dto.bandwidthLimit ?? null;
    if (dto.url !== undefined || dto.username !== undefined || dto.password !== undefined) {
      // Another endpoint or identity may support other things.
      entity.capabilities = null;
      entity.capabilitiesCheckedAt = null;
    }
    try {
      const saved = await this.registries.save(entity);
      this.changed(id);
      return saved;
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken('registry', dto.name ?? entity.name);
      throw error;
    }
  }

  /** Deletes a registry no policy uses; otherwise 409 naming the policies. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    const users: { name: string }[] = await this.dataSource.query(
      `SELECT name FROM policy WHERE source_registry_id = $1
       UNION SELECT p.name FROM policy p JOIN policy_destination d ON d.policy_id = p.id WHERE d.registry_id = $1
       ORDER BY name`,
      [id],
    );
    if (users.length) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `Registry ${id} is used by policies: ${users.map((u) => u.name).join(', ')}. Remove it from them first.`,
        policies: users.map((u) => u.name),
      });
    }
    await this.registries.delete(id);
    this.changed(id);
  }

  async recordCapabilities(id: string, capabilities: RegistryCapabilities): Promise<void> {
    await this.registries.update(id, { capabilities, capabilitiesCheckedAt: new Date() });
  }

  credentials(registry: RegistryEntity): RegistryCredentials | undefined {
    if (!registry.username && !registry.passwordSealed) return undefined;
    return {
      username: registry.username ?? '',
      password: registry.passwordSealed
        ? this.secrets.open(registry.passwordSealed, passwordContext(registry.id))
        : '',
    };
  }

  /**
   * Re-keys webhook secret lookup values stored as a bare SHA-256 (before lookups were
   * keyed) into their HMAC form; runs at start. Returns how many it changed.
   */
  async rekeyLegacyWebhookLookups(): Promise<number> {
    const legacy = await queryRows<{ id: string; hash: string }>(
      this.dataSource,
      `SELECT id, webhook_secret_hash AS hash FROM registry
       WHERE webhook_secret_hash IS NOT NULL AND webhook_secret_hash NOT LIKE 'hmac:%'`,
    );
    for (const row of legacy) {
      // Plain SQL: a re-key is not a change of the registry (updated_at stays).
      await queryRows(
        this.dataSource,
        'UPDATE registry SET webhook_secret_hash = $1 WHERE id = $2 AND webhook_secret_hash = $3',
        [this.lookupKeys.keyed('webhook-secret', row.hash), row.id, row.hash],
      );
    }
    return legacy.length;
  }

  /** Key rotation: seals again, with the current key, what an older key sealed. */
  async resealStaleSecrets(): Promise<ResealResult> {
    const result: ResealResult = { resealed: 0, unreadable: [] };
    for (const registry of await this.registries.find()) {
      const sealedValues = [
        ['password_sealed', 'password', registry.passwordSealed, passwordContext(registry.id)],
        [
          'webhook_secret_sealed',
          'webhook secret',
          registry.webhookSecretSealed,
          webhookSecretContext(registry.id),
        ],
      ] as const;
      for (const [column, label, sealed, context] of sealedValues) {
        if (!sealed || !this.secrets.isStale(sealed)) continue;
        try {
          const resealed = this.secrets.reseal(sealed, context);
          // Compare-and-set: a password changed meanwhile is newer than our copy.
          const updated = await queryRows(
            this.dataSource,
            `UPDATE registry SET ${column} = $1 WHERE id = $2 AND ${column} = $3 RETURNING id`,
            [resealed, registry.id, sealed],
          );
          result.resealed += updated.length;
        } catch (error) {
          if (!(error instanceof SecretUnreadableError)) throw error;
          result.unreadable.push(`registry "${registry.name}" ${label}: ${error.message}`);
        }
      }
    }
    return result;
  }

  private webhookSecretColumns(
    id: string,
    secret: string,
  ): Pick<RegistryEntity, 'webhookSecretSealed' | 'webhookSecretHash'> {
    return {
      webhookSecretSealed: this.secrets.seal(secret, webhookSecretContext(id)),
      webhookSecretHash: webhookSecretLookupKey(secret, this.lookupKeys),
    };
  }

  private sealPassword(id: string, password: string): string {
    return this.secrets.seal(password, passwordContext(id));
  }

  private checkedUrl(url: string): string {
    const result = normaliseRegistryUrl(url);
    if ('reason' in result)
      throw new InvalidInputException([{ field: 'url', reason: `url ${result.reason}` }]);
    return result.url;
  }

  private changed(id: string): void {
    for (const listener of this.listeners) listener(id);
  }
}

function passwordContext(registryId: string): string {
  return `registry:${registryId}:password`;
}

function webhookSecretContext(registryId: string): string {
  return `registry:${registryId}:webhook-secret`;
}

function webhookSecretTaken(): ConflictException {
  // Which registry holds it is not said: a secret is not something to confirm to callers.
  return new ConflictException(
    'Another registry already uses this webhook secret; every registry needs its own',
  );
}

function checkedCaCert(pem: string): string {
  const problems: FieldError[] = [];
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    problems.push({ field: 'caCert', reason: 'caCert must hold at least one PEM certificate' });
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      problems.push({
        field: 'caCert',
        reason: `caCert holds an unreadable certificate: ${(error as Error).message}`,
      });
    }
  }
  if (problems.length) throw new InvalidInputException(problems);
  return pem;
}
