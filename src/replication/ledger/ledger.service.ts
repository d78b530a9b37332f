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
  /**
   * For an attached artifact (a signature, attestation, SBOM or referrers index): the
   * manifest it is attached to. Such rows go when their subject goes, never on
   * their own; `tag` is the digest for a referrer pushed by digest only.
   */
  subjectDigest?: string | null;
  /**
   * The source digest `digest` was made from, when they differ (an index narrowed to
   * one variant): the planner knows the destination is in step when the source still
   * has this digest.
   */
  sourceDigest?: string | null;
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
  /** Set for attached artifacts (see LedgerWrite.subjectDigest). */
  subjectDigest?: string | null;
  /** Set when the digest written differs from the source's (see LedgerWrite.sourceDigest). */
  sourceDigest?: string | null;
}

/** A row as COLUMNS selects it: the owner in two columns. */
type Row = Omit<WrittenTag, 'owner'> & { ownerKind: ExecutionOwner['kind']; ownerId: string };

const COLUMNS = `destination_registry_id AS "destinationRegistryId", repository, tag, digest,
  origin_registry_id AS "originRegistryId", origin_repository AS "originRepository",
  owner_kind AS "ownerKind", owner_id AS "ownerId", written_at AS "writtenAt",
  subject_digest AS "subjectDigest", source_digest AS "sourceDigest"`;

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
                           origin_repository, owner_kind, owner_id, execution_id, written_at,
                           subject_digest, source_digest)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10, $11)
       ON CONFLICT (destination_registry_id, repository, tag) DO UPDATE
       SET digest = excluded.digest, origin_registry_id = excluded.origin_registry_id,
           origin_repository = excluded.origin_repository, owner_kind = excluded.owner_kind,
           owner_id = excluded.owner_id, execution_id = excluded.execution_id, written_at = now(),
           subject_digest = excluded.subject_digest, source_digest = excluded.source_digest`,
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
        w.subjectDigest ?? null,
        w.sourceDigest ?? null,
      ],
      // Once per copied tag: parsed once per connection.
      'regrelay_record_write',
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
         AND ($5::text[] IS NULL OR tag = ANY($5)) AND subject_digest IS NULL`,
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
         AND NOT (origin_repository = ANY($4)) AND subject_digest IS NULL`,
      [owner.kind, owner.id, originRegistryId, originRepositories],
    );
    return rows.map(toWritten);
  }

  /** How many tags an owner has written to each destination registry. */
  async countByDestination(owner: ExecutionOwner): Promise<Map<string, number>> {
    const rows = await queryRows<{ destination_registry_id: string; n: string }>(
      this.dataSource,
      `SELECT destination_registry_id, count(*) AS n FROM ledger
       WHERE owner_kind = $1 AND owner_id = $2 AND subject_digest IS NULL
       GROUP BY destination_registry_id`,
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
   * What an owner attached to these subjects at a destination repository (see
   * LedgerWrite.subjectDigest): signatures, attestations, SBOMs, referrers indexes.
   */
  async attachedTo(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    repository: string,
    subjects: readonly string[],
  ): Promise<WrittenTag[]> {
    if (!subjects.length) return [];
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM ledger
       WHERE destination_registry_id = $1 AND repository = $2 AND subject_digest = ANY($3)
         AND owner_kind = $4 AND owner_id = $5`,
      [destinationRegistryId, repository, subjects, owner.kind, owner.id],
    );
    return rows.map(toWritten);
  }

  /** Whether an owner attached anything at a destination repository. */
  async hasAttached(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    repository: string,
  ): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT 1 FROM ledger
       WHERE destination_registry_id = $1 AND repository = $2 AND subject_digest IS NOT NULL
         AND owner_kind = $3 AND owner_id = $4 LIMIT 1`,
      [destinationRegistryId, repository, owner.kind, owner.id],
    );
    return rows.length > 0;
  }

  /** Tags (not attached artifacts) regrelay wrote at a destination repository with this digest, but `tag`. */
  async otherTagsWithDigest(
    destinationRegistryId: string,
    repository: string,
    digest: string,
    tag: string,
  ): Promise<string[]> {
    const rows = await queryRows<{ tag: string }>(
      this.dataSource,
      `SELECT tag FROM ledger
       WHERE destination_registry_id = $1 AND repository = $2 AND digest = $3 AND tag <> $4
         AND subject_digest IS NULL`,
      [destinationRegistryId, repository, digest, tag],
    );
    return rows.map((r) => r.tag);
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

  /**
   * Forgets a destination tag, if this owner is the one that wrote it — and, given
   * `digest`, only if that is still what it wrote: a decision about the digest once
   * written must not erase a newer write of the tag (a copy of the same tag in the
   * same execution, as a re-planned execution may hold, recorded since).
   */
  async forget(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    repository: string,
    tag: string,
    digest?: string,
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      `DELETE FROM ledger WHERE destination_registry_id = $1 AND repository = $2 AND tag = $3
         AND owner_kind = $4 AND owner_id = $5 AND ($6::text IS NULL OR digest = $6)`,
      [destinationRegistryId, repository, tag, owner.kind, owner.id, digest ?? null],
    );
  }

  /**
   * Forgets a tag the owner synced between two registries, in both directions: the
   * tag has left the destination, so neither a write there nor one copied from there
   * to the source (a dual-master pair's last synced digest) may outlive it. Given
   * `digest`, only rows still holding it go (as for forget).
   */
  async forgetSynced(
    owner: ExecutionOwner,
    destination: { registryId: string; repository: string },
    source: { registryId: string; repository: string },
    tag: string,
    digest?: string,
  ): Promise<void> {
    await this.forget(owner, destination.registryId, destination.repository, tag, digest);
    await queryRows(
      this.dataSource,
      `DELETE FROM ledger WHERE destination_registry_id = $1 AND repository = $2 AND tag = $3
         AND owner_kind = $4 AND owner_id = $5
         AND origin_registry_id = $6 AND origin_repository = $7
         AND ($8::text IS NULL OR digest = $8)`,
      [
        source.registryId,
        source.repository,
        tag,
        owner.kind,
        owner.id,
        destination.registryId,
        destination.repository,
        digest ?? null,
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
