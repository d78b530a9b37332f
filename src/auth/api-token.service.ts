import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { LookupKeys } from '../secrets/lookup-keys.js';
import { ApiTokenEntity, type RevokedBy, type Role, type TokenSource } from './api-token.entity.js';
import type { Principal } from './principal.js';
import { fingerprintHint, generateToken, tokenDigest, tokenHint } from './token-format.js';

/** A token just created: the only moment its secret value exists outside the caller. */
export interface IssuedToken {
  entity: ApiTokenEntity;
  token: string;
}

/** Recording last use on every request would write per request; once a minute is plenty. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiTokenService {
  private readonly revokedListeners = new Set<(tokenId: string) => void>();

  constructor(
    @InjectRepository(ApiTokenEntity) private readonly tokens: Repository<ApiTokenEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: LookupKeys,
  ) {}

  /** The principal for a presented token, or undefined if unknown, revoked or expired. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const found = await this.tokens.findOne({
      where: { tokenHash: In(this.lookupValues(token)), revokedAt: IsNull() },
    });
    if (!found) return undefined;
    const now = Date.now();
    if (found.expiresAt && found.expiresAt.getTime() <= now) return undefined;
    if (!found.lastUsedAt || now - found.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Not awaited for the caller's sake: a lost update of this timestamp harms no one.
      void this.tokens.update(found.id, { lastUsedAt: new Date(now) }).catch(() => undefined);
    }
    return { tokenId: found.id, name: found.name, role: found.role };
  }

  async issue(
    name: string,
    role: Role,
    source: TokenSource,
    expiresAt: Date | null = null,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<IssuedToken> {
    const token = generateToken();
    return { entity: await this.store(manager, name, role, source, token, expiresAt), token };
  }

  /** Stores a token whose value the operator chose (REGRELAY_ADMIN_TOKEN). */
  async store(
    manager: EntityManager,
    name: string,
    role: Role,
    source: TokenSource,
    token: string,
    expiresAt: Date | null = null,
  ): Promise<ApiTokenEntity> {
    const repo = manager.getRepository(ApiTokenEntity);
    const tokenHash = this.lookupValue(token);
    return repo.save(
      repo.create({
        name,
        role,
        source,
        tokenHash,
        tokenHint: tokenHint(token, tokenHash),
        expiresAt,
      }),
    );
  }

  /** The row of a token, whatever its state (revoked, expired), with its lookup value. */
  findByToken(manager: EntityManager, token: string): Promise<ApiTokenEntity | null> {
    return manager
      .getRepository(ApiTokenEntity)
      .createQueryBuilder('t')
      .addSelect('t.tokenHash')
      .where({ tokenHash: In(this.lookupValues(token)) })
      .getOne();
  }

  /** The keyed lookup value a token is stored under. */
  lookupValue(token: string): string {
    return this.keys.keyed('api-token', tokenDigest(token));
  }

  list(): Promise<ApiTokenEntity[]> {
    return this.tokens.find({ order: { createdAt: 'ASC' } });
  }

  async get(id: string): Promise<ApiTokenEntity> {
    const found = await this.tokens.findOneBy({ id });
    if (!found) throw new NotFoundException(`API token ${id} does not exist`);
    return found;
  }

  async revoke(
    id: string,
    by: RevokedBy = 'api',
    manager = this.dataSource.manager,
  ): Promise<void> {
    const result = await manager
      .getRepository(ApiTokenEntity)
      .update({ id, revokedAt: IsNull() }, { revokedAt: new Date(), revokedBy: by });
    if (!result.affected) {
      const exists = await manager.getRepository(ApiTokenEntity).existsBy({ id });
      if (!exists) throw new NotFoundException(`API token ${id} does not exist`);
      return;
    }
    for (const listener of this.revokedListeners) listener(id);
  }

  /** Tells `listener` of tokens revoked by this process (others: see stillValid). */
  onRevoked(listener: (tokenId: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => void this.revokedListeners.delete(listener);
  }

  /** Of these token ids, those neither revoked nor expired now. */
  async stillValid(ids: readonly string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await this.tokens
      .createQueryBuilder('t')
      .select('t.id')
      .where({ id: In([...ids]), revokedAt: IsNull() })
      .andWhere('(t.expires_at IS NULL OR t.expires_at > now())')
      .getMany();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Re-keys rows that still hold a bare SHA-256 (stored before lookups were keyed):
   * their value becomes the HMAC of that digest, and they get a hint. Runs once per
   * row; returns how many it changed.
   */
  async rekeyLegacy(manager: EntityManager): Promise<number> {
    const repo = manager.getRepository(ApiTokenEntity);
    const legacy = await repo
      .createQueryBuilder('t')
      .select(['t.id', 't.tokenHash'])
      .where(`t.token_hash NOT LIKE 'hmac:%'`)
      .getMany();
    for (const row of legacy) {
      const tokenHash = this.keys.keyed('api-token', row.tokenHash);
      await repo.update(row.id, { tokenHash, tokenHint: fingerprintHint(tokenHash) });
    }
    return legacy.length;
  }

  /** The keyed value, and the bare digest a row not re-keyed yet may still hold. */
  private lookupValues(token: string): string[] {
    return [this.lookupValue(token), tokenDigest(token)];
  }
}
