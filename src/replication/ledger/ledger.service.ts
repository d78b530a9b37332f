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
