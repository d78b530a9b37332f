import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../../database/sql.js';

export interface LedgerWrite {
  policyId: string;
  destinationRegistryId: string;
  repository: string;
  tag: string;
  digest: string;
  sourceRepository: string;
  sourceDigest: string;
  executionId: string;
}

/** A ledger row as planners read it. */
export interface WrittenTag {
  destinationRegistryId: string;
  repository: string;
  tag: string;
  digest: string;
  sourceRepository: string;
}

const WRITTEN_COLUMNS = `destination_registry_id AS "destinationRegistryId", repository, tag, digest,
  source_repository AS "sourceRepository"`;

/** The ledger of what each policy wrote at each destination (see LedgerEntity). */
@Injectable()
export class LedgerService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async recordWrite(w: LedgerWrite): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO ledger (policy_id, destination_registry_id, repository, tag, digest, source_repository, source_digest, execution_id, written_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (policy_id, destination_registry_id, repository, tag) DO UPDATE
       SET digest = excluded.digest, source_repository = excluded.source_repository,
           source_digest = excluded.source_digest, execution_id = excluded.execution_id, written_at = now()`,
      [
        w.policyId,
        w.destinationRegistryId,
        w.repository,
        w.tag,
        w.digest,
        w.sourceRepository,
        w.sourceDigest,
        w.executionId,
      ],
    );
  }

  /** Tags this policy wrote from a source repository (optionally only some tags). */
  fromSourceRepository(
    policyId: string,
    sourceRepository: string,
    tags?: readonly string[],
  ): Promise<WrittenTag[]> {
    return queryRows<WrittenTag>(
      this.dataSource,
      `SELECT ${WRITTEN_COLUMNS} FROM ledger
       WHERE policy_id = $1 AND source_repository = $2 AND ($3::text[] IS NULL OR tag = ANY($3))`,
      [policyId, sourceRepository, tags ?? null],
    );
  }

  /** Tags this policy wrote from source repositories other than these. */
  fromOtherRepositories(
    policyId: string,
    sourceRepositories: readonly string[],
  ): Promise<WrittenTag[]> {
    return queryRows<WrittenTag>(
      this.dataSource,
      `SELECT ${WRITTEN_COLUMNS} FROM ledger WHERE policy_id = $1 AND NOT (source_repository = ANY($2))`,
      [policyId, sourceRepositories],
    );
  }

  /** How many tags this policy has replicated to each destination. */
  async countByDestination(policyId: string): Promise<Map<string, number>> {
    const rows = await queryRows<{ destination_registry_id: string; n: string }>(
      this.dataSource,
      'SELECT destination_registry_id, count(*) AS n FROM ledger WHERE policy_id = $1 GROUP BY destination_registry_id',
      [policyId],
    );
    return new Map(rows.map((r) => [r.destination_registry_id, Number(r.n)]));
  }

  /** True when this policy wrote `tag` at the destination with this digest. */
  async wrote(
    policyId: string,
    destinationRegistryId: string,
    repository: string,
    tag: string,
    digest: string,
  ): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT 1 FROM ledger WHERE policy_id = $1 AND destination_registry_id = $2 AND repository = $3 AND tag = $4 AND digest = $5`,
      [policyId, destinationRegistryId, repository, tag, digest],
    );
    return rows.length > 0;
  }

  async forget(
    policyId: string,
    destinationRegistryId: string,
    repository: string,
    tag: string,
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      'DELETE FROM ledger WHERE policy_id = $1 AND destination_registry_id = $2 AND repository = $3 AND tag = $4',
      [policyId, destinationRegistryId, repository, tag],
    );
  }
}
