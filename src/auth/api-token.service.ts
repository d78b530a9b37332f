import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { ApiTokenEntity, type Role, type TokenSource } from './api-token.entity.js';
import type { Principal } from './principal.js';
import { generateToken, hashToken, tokenPrefix } from './token-format.js';

/** A token just created: the only moment its secret value exists outside the caller. */
export interface IssuedToken {
  entity: ApiTokenEntity;
  token: string;
}

/** Recording last use on every request would write per request; once a minute is plenty. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiTokenService {
  constructor(
    @InjectRepository(ApiTokenEntity) private readonly tokens: Repository<ApiTokenEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** The principal for a presented token, or undefined if unknown, revoked or expired. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const found = await this.tokens.findOne({
      where: { tokenHash: hashToken(token), revokedAt: IsNull() },
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
    const saved = await repo.save(
      repo.create({
        name,
        role,
        source,
        tokenHash: hashToken(token),
        tokenPrefix: tokenPrefix(token),
        expiresAt,
      }),
    );
    return saved;
  }

  list(): Promise<ApiTokenEntity[]> {
    return this.tokens.find({ order: { createdAt: 'ASC' } });
  }

  async revoke(id: string): Promise<void> {
    const result = await this.tokens.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!result.affected) {
      const exists = await this.tokens.existsBy({ id });
      if (!exists) throw new NotFoundException(`API token ${id} does not exist`);
    }
  }
}
