import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../../database/sql.js';
import type { ExecutionOwner } from '../owners/execution-owner.js';

export interface LedgerWrite {
  destinationRegistryId: string;
  repository: string;
  tag: string;
  digest: string;
  originRegistryId: string;
  originRepository: string;
  owner: ExecutionOwner;
  executionId: string | null;
}

/** A ledger row: a tag regrelay wrote at a destination. */
export interface WrittenTag {
  destinationRegistryId: string;
  repository: string;
  tag: string;
  digest: string;
  originRegistryId: string;
  originRepository: string;
  owner: ExecutionOwner;
  writtenAt: Date;
}

/** A row as COLUMNS selects it: the owner in two columns. */
type Row = Omit<WrittenTag, 'owner'> & { ownerKind: ExecutionOwner['kind']; ownerId: string };

const COLUMNS = `destination_registry_id AS "destinationRegistryId", repository, tag, digest,
  origin_registry_id AS "originRegistryId", origin_repository AS "originRepository",
  owner_kind AS "ownerKind", owner_id AS "ownerId", written_at AS "writtenAt"`;

/** The lookup by destination, exactly as `lookup` runs it (tests EXPLAIN it). */
export const LOOKUP_SQL = `SELECT ${COLUMNS} FROM ledger
  WHERE destination_registry_id = $1 AND repository = $2 AND tag = $3`;

/** The ledger of what regrelay wrote at each destination (see LedgerEntity). */
@Injectable()
export class LedgerService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records a write; a later write of the same destination tag replaces it. */
  async recordWrite(w: LedgerWrite): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO ledger (destination_registry_id, repository, tag, digest, origin_registry_id,
                           origin_repository, owner_kind, owner_id, execution_id, written_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (destination_registry_id, repository, tag) DO UPDATE
       SET digest = excluded.digest, origin_registry_id = excluded.origin_registry_id,
           origin_repository = excluded.origin_repository, owner_kind = excluded.owner_kind,
           owner_id = excluded.owner_id, execution_id = excluded.execution_id, written_at = now()`,
      [
        w.destinationRegistryId,
        w.repository,
        w.tag,
        w.digest,
        w.originRegistryId,
        w.originRepository,
        w.owner.kind,
        w.owner.id,
        w.executionId,
      ],
    );
  }

  /**
   * What regrelay wrote at this destination tag, if anything: one primary-key lookup.
   * A destination's webhook reporting this digest at this tag is regrelay's own write.
   */
  async lookup(
    destinationRegistryId: string,
    repository: string,
    tag: string,
  ): Promise<WrittenTag | undefined> {
    const [row] = await queryRows<Row>(this.dataSource, LOOKUP_SQL, [
      destinationRegistryId,
      repository,
      tag,
    ]);
    return row && toWritten(row);
  }

  /** What regrelay wrote at these destination tags (one query; absent ones are left out). */
  async writtenAt(
    destinationRegistryIds: readonly string[],
    repository: string,
    tags: readonly string[],
  ): Promise<WrittenTag[]> {
    if (!tags.length || !destinationRegistryIds.length) return [];
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM ledger
       WHERE destination_registry_id = ANY($1) AND repository = $2 AND tag = ANY($3)`,
      [destinationRegistryIds, repository, tags],
    );
    return rows.map(toWritten);
  }

  /** Tags an owner wrote from one origin repository (optionally only some tags). */
  async fromOrigin(
    owner: ExecutionOwner,
    originRegistryId: string,
    originRepository: string,
    tags?: readonly string[],
  ): Promise<WrittenTag[]> {
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM ledger
       WHERE owner_kind = $1 AND owner_id = $2 AND origin_repository = $3 AND origin_registry_id = $4
         AND ($5::text[] IS NULL OR tag = ANY($5))`,
      [owner.kind, owner.id, originRepository, originRegistryId, tags ?? null],
    );
    return rows.map(toWritten);
  }

  /** Tags an owner wrote from an origin registry's repositories other than these. */
  async fromOtherRepositories(
    owner: ExecutionOwner,
    originRegistryId: string,
    originRepositories: readonly string[],
  ): Promise<WrittenTag[]> {
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM ledger
       WHERE owner_kind = $1 AND owner_id = $2 AND origin_registry_id = $3
         AND NOT (origin_repository = ANY($4))`,
      [owner.kind, owner.id, originRegistryId, originRepositories],
    );
    return rows.map(toWritten);
  }

  /** How many tags an owner has written to each destination registry. */
  async countByDestination(owner: ExecutionOwner): Promise<Map<string, number>> {
    const rows = await queryRows<{ destination_registry_id: string; n: string }>(
      this.dataSource,
      `SELECT destination_registry_id, count(*) AS n FROM ledger
       WHERE owner_kind = $1 AND owner_id = $2 GROUP BY destination_registry_id`,
      [owner.kind, owner.id],
    );
    return new Map(rows.map((r) => [r.destination_registry_id, Number(r.n)]));
  }

  /** True when this owner wrote `tag` at the destination with this digest. */
  async wrote(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    repository: string,
    tag: string,
    digest: string,
  ): Promise<boolean> {
    const found = await this.lookup(destinationRegistryId, repository, tag);
    return (
      found?.digest === digest && found.owner.kind === owner.kind && found.owner.id === owner.id
    );
  }

  /**
   * True when this owner synced `tag` between the two registries with this digest:
   * wrote it at the destination, or copied it from the destination to the source (a
   * dual-master pair, where what one side pushed was written only at the other).
   */
  async synced(
    owner: ExecutionOwner,
    destination: { registryId: string; repository: string },
    source: { registryId: string; repository: string },
    tag: string,
    digest: string,
  ): Promise<boolean> {
    if (await this.wrote(owner, destination.registryId, destination.repository, tag, digest))
      return true;
    const back = await this.lookup(source.registryId, source.repository, tag);
    return (
      back?.digest === digest &&
      back.owner.kind === owner.kind &&
      back.owner.id === owner.id &&
      back.originRegistryId === destination.registryId &&
      back.originRepository === destination.repository
    );
  }

  /** Forgets a destination tag, if this owner is the one that wrote it. */
  async forget(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    repository: string,
    tag: string,
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      `DELETE FROM ledger WHERE destination_registry_id = $1 AND repository = $2 AND tag = $3
         AND owner_kind = $4 AND owner_id = $5`,
      [destinationRegistryId, repository, tag, owner.kind, owner.id],
    );
  }

  /**
   * Forgets a tag the owner synced between two registries, in both directions: the
   * tag has left the destination, so neither a write there nor one copied from there
   * to the source (a dual-master pair's last synced digest) may outlive it.
   */
  async forgetSynced(
    owner: ExecutionOwner,
    destination: { registryId: string; repository: string },
    source: { registryId: string; repository: string },
    tag: string,
  ): Promise<void> {
    await this.forget(owner, destination.registryId, destination.repository, tag);
    await queryRows(
      this.dataSource,
      `DELETE FROM ledger WHERE destination_registry_id = $1 AND repository = $2 AND tag = $3
         AND owner_kind = $4 AND owner_id = $5
         AND origin_registry_id = $6 AND origin_repository = $7`,
      [
        source.registryId,
        source.repository,
        tag,
        owner.kind,
        owner.id,
        destination.registryId,
        destination.repository,
      ],
    );
  }

  /** Forgets everything an owner wrote (the owner is gone). */
  async forgetOwner(owner: ExecutionOwner): Promise<void> {
    await queryRows(this.dataSource, 'DELETE FROM ledger WHERE owner_kind = $1 AND owner_id = $2', [
      owner.kind,
      owner.id,
    ]);
  }
}

function toWritten(row: Row): WrittenTag {
  const { ownerKind, ownerId, ...rest } = row;
  return { ...rest, owner: { kind: ownerKind, id: ownerId } };
}
