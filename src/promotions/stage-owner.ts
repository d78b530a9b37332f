import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { ExecutionOwners } from '../replication/owners/execution-owners.js';

/**
 * Promotion stages own the executions that copy into them (owner id: the stage), so
 * at most one copy into a stage runs at a time; their name is `pipeline/stage`.
 */
@Injectable()
export class StageOwner {
  constructor(owners: ExecutionOwners, @InjectDataSource() dataSource: DataSource) {
    owners.register('promotion', {
      names: async (ids) => {
        const rows = await queryRows<{ id: string; name: string }>(
          dataSource,
          `SELECT s.id, p.name || '/' || s.name AS name FROM stage s JOIN pipeline p ON p.id = s.pipeline_id
           WHERE s.id = ANY($1)`,
          [[...ids]],
        );
        return new Map(rows.map((r) => [r.id, r.name]));
      },
    });
  }
}
