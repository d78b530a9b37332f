import { randomUUID, X509Certificate } from 'node:crypto';
import { ConflictException, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { isUniqueViolation, nameTaken, notFound } from '../common/errors.js';
import { canonicalTimeZone } from '../common/time-zone.js';
import { InvalidInputException, type FieldError } from '../common/validation.js';
import { LookupKeys } from '../secrets/lookup-keys.js';
import { SecretBox, SecretUnreadableError } from '../secrets/secret-box.js';
import type { CreateRegistryDto, UpdateRegistryDto } from './dto/registry.dto.js';
import { dragonflyColumns } from './dragonfly-settings.js';
import { RegistryEntity, type RegistryCapabilities } from './registry.entity.js';
import {
  legacyPasswordContext,
  passwordContext,
  passwordRequiredBecause,
} from './registry-password.js';
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

/** Names of the things (of one kind) that use a registry; a used registry cannot be deleted. */
export type RegistryUsage = (registryId: string) => Promise<string[]>;

@Injectable()
export class RegistriesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RegistriesService.name);
  private readonly listeners = new Set<RegistryChangeListener>();
  private readonly usages = new Map<string, RegistryUsage>();

  constructor(
    @InjectRepository(RegistryEntity) private readonly registries: Repository<RegistryEntity>,
    private readonly secrets: SecretBox,
    private readonly lookupKeys: LookupKeys,
  ) {}

  onChange(listener: RegistryChangeListener): void {
    this.listeners.add(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.resealLegacyPasswords();
  }

  /**
   * Lets a feature that refers to registries (policies, topologies, pipelines) keep
   * one it uses from being deleted: `kind` names them in the 409.
   */
  addUsage(kind: string, usage: RegistryUsage): void {
    this.usages.set(kind, usage);
  }

  async create(dto: CreateRegistryDto): Promise<CreatedRegistry> {
    const id = randomUUID();
    const webhookSecret = dto.webhookSecret ?? generateWebhookSecret();
    const url = this.checkedUrl(dto.url);
    const entity = this.registries.create({
      id,
      name: dto.name,
      url,
      username: dto.username ?? null,
      passwordSealed: dto.password ? this.sealPassword({ id, url }, dto.password) : null,
      ...this.webhookSecretColumns(id, webhookSecret),
      tokenRealmHosts: normaliseHosts(dto.tokenRealmHosts ?? []),
      insecureTls: dto.insecureTls ?? false,
      caCert: dto.caCert ? checkedCaCert(dto.caCert) : null,
      maxConcurrentRequests: dto.maxConcurrentRequests ?? null,
      bandwidthLimit: dto.bandwidthLimit ?? null,
      timezone: dto.timezone === undefined ? null : checkedTimeZone(dto.timezone),
      capabilities: null,
      capabilitiesCheckedAt: null,
      ...dragonflyColumns(
        dto.dragonfly ?? null,
        { dragonfly: null, dragonflyTokenSealed: null },
        (token) => this.sealDragonflyToken(id, token),
      ),
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
    // The bare digest finds a row not re-keyed yet (see RegistrySecretUpkeep).
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
    const before = {
      url: entity.url,
      insecureTls: entity.insecureTls,
      caCert: entity.caCert,
      tokenRealmHosts: entity.tokenRealmHosts,
    };
    if (dto.name !== undefined) entity.name = dto.name;
    if (dto.url !== undefined) entity.url = this.checkedUrl(dto.url);
    if (dto.username !== undefined) entity.username = dto.username ?? null;
    if (dto.insecureTls !== undefined) entity.insecureTls = dto.insecureTls;
    if (dto.caCert !== undefined)
      entity.caCert = dto.caCert === null ? null : checkedCaCert(dto.caCert);
    if (dto.tokenRealmHosts !== undefined)
      entity.tokenRealmHosts = normaliseHosts(dto.tokenRealmHosts ?? []);
    const mustRepeat = entity.passwordSealed ? passwordRequiredBecause(before, entity) : undefined;
    if (mustRepeat && dto.password === undefined) {
      throw new InvalidInputException([{ field: 'password', reason: mustRepeat }]);
    }
    if (dto.password !== undefined)
      entity.passwordSealed =
        dto.password === null ? null : this.sealPassword(entity, dto.password);
    if (dto.maxConcurrentRequests !== undefined)
      entity.maxConcurrentRequests = dto.maxConcurrentRequests ?? null;
    if (dto.bandwidthLimit !== undefined) entity.bandwidthLimit = dto.bandwidthLimit ?? null;
    if (dto.dragonfly !== undefined) {
      Object.assign(
        entity,
        dragonflyColumns(dto.dragonfly, entity, (token) => this.sealDragonflyToken(id, token)),
      );
    }
    if (dto.timezone !== undefined)
      entity.timezone = dto.timezone === null ? null : checkedTimeZone(dto.timezone);
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

  /** Deletes a registry nothing uses; otherwise 409 naming what uses it. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    const users: Record<string, string[]> = {};
    for (const [kind, usage] of this.usages) {
      const names = await usage(id);
      if (names.length) users[kind] = names;
    }
    const kinds = Object.keys(users);
    if (kinds.length) {
      const named = kinds.map((kind) => `${kind}: ${users[kind]!.join(', ')}`).join('; ');
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `Registry ${id} is used by ${named}. Remove it from them first.`,
        ...users,
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
      password: registry.passwordSealed ? this.openPassword(registry, registry.passwordSealed) : '',
    };
  }

  private openPassword(registry: RegistryEntity, sealed: string): string {
    try {
      return this.secrets.open(sealed, passwordContext(registry));
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
      throw new SecretUnreadableError(
        `registry ${registry.name}: the stored password does not open for ${new URL(registry.url).origin} ` +
          `(${error.message}); it was given for another origin or key: set it again with PATCH`,
      );
    }
  }

  /**
   * Re-seals passwords sealed before the origin was part of their context, under
   * the origin each row holds now; returns how many. Runs at every start (a no-op
   * once done); replicas starting together compare-and-set, so the last one wins
   * with an equally valid value.
   */
  async resealLegacyPasswords(): Promise<number> {
    const rows = await this.registries.find({
      select: { id: true, name: true, url: true, passwordSealed: true },
    });
    let resealed = 0;
    for (const row of rows) {
      const sealed = row.passwordSealed;
      if (!sealed || this.opens(sealed, passwordContext(row))) continue;
      let password: string;
      try {
        password = this.secrets.open(sealed, legacyPasswordContext(row.id));
      } catch (error) {
        if (!(error instanceof SecretUnreadableError)) throw error;
        this.logger.warn(
          `registry ${row.name}: its stored password cannot be opened (${error.message})`,
        );
        continue;
      }
      const result = await this.registries.update(
        { id: row.id, passwordSealed: sealed },
        { passwordSealed: this.sealPassword(row, password) },
      );
      resealed += result.affected ?? 0;
    }
    if (resealed)
      this.logger.log(`re-sealed ${resealed} registry password(s) bound to their origin`);
    return resealed;
  }

  /** The Dragonfly manager's personal access token, or undefined when none is set. */
  dragonflyToken(registry: RegistryEntity): string | undefined {
    if (!registry.dragonflyTokenSealed) return undefined;
    return this.secrets.open(registry.dragonflyTokenSealed, dragonflyTokenContext(registry.id));
  }

  private sealDragonflyToken(id: string, token: string): string {
    return this.secrets.seal(token, dragonflyTokenContext(id));
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

  private sealPassword(registry: Pick<RegistryEntity, 'id' | 'url'>, password: string): string {
    return this.secrets.seal(password, passwordContext(registry));
  }

  private opens(sealed: string, context: string): boolean {
    try {
      this.secrets.open(sealed, context);
      return true;
    } catch (error) {
      if (error instanceof SecretUnreadableError) return false;
      throw error;
    }
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

export function webhookSecretContext(registryId: string): string {
  return `registry:${registryId}:webhook-secret`;
}

export function dragonflyTokenContext(registryId: string): string {
  return `registry:${registryId}:dragonfly-token`;
}

function webhookSecretTaken(): ConflictException {
  // Which registry holds it is not said: a secret is not something to confirm to callers.
  return new ConflictException(
    'Another registry already uses this webhook secret; every registry needs its own',
  );
}

function normaliseHosts(hosts: string[]): string[] {
  return [...new Set(hosts.map((h) => h.toLowerCase()))];
}

/** The canonical IANA name, or a 400 naming the field. */
function checkedTimeZone(name: string): string {
  const zone = canonicalTimeZone(name);
  if (!zone) {
    throw new InvalidInputException([
      {
        field: 'timezone',
        reason: `timezone must be an IANA time zone name such as "Asia/Shanghai" or "UTC", not ${JSON.stringify(name)}`,
      },
    ]);
  }
  return zone;
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
