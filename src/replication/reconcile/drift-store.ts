import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../../database/sql.js';
import type { DriftCount } from '../replication-metrics.js';
import type { DestinationDrift, DriftReport } from './drift-report.js';

interface Row {
  destination_registry_id: string;
  checked_at: Date;
  missing: number;
  different: number;
  extra: number;
  unreadable: number;
  attached: number;
  samples: DestinationDrift['samples'];
  repair_execution_id: string | null;
}

/** The latest drift report of each policy, one row per destination. */
@Injectable()
export class DriftStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async save(report: DriftReport): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await queryRows(m, 'DELETE FROM drift_report WHERE policy_id = $1', [report.policyId]);
      for (const d of report.destinations) {
        await queryRows(
          m,
          `INSERT INTO drift_report (policy_id, destination_registry_id, checked_at, missing, different, extra, unreadable, attached, samples, repair_execution_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            report.policyId,
            d.destinationRegistryId,
            report.checkedAt,
            d.missing,
            d.different,
            d.extra,
            d.unreadable,
            d.attached,
            JSON.stringify(d.samples),
            report.repairExecutionId,
          ],
        );
      }
    });
  }

  async latest(policyId: string): Promise<DriftReport | undefined> {
    const rows = await queryRows<Row>(
      this.dataSource,
      'SELECT * FROM drift_report WHERE policy_id = $1',
      [policyId],
    );
    if (!rows.length) return undefined;
    return {
      policyId,
      checkedAt: rows[0]!.checked_at,
      repairExecutionId: rows[0]!.repair_execution_id,
      destinations: rows.map((r) => ({
        destinationRegistryId: r.destination_registry_id,
        missing: r.missing,
        different: r.different,
        extra: r.extra,
        unreadable: r.unreadable,
        attached: r.attached,
        samples: { ...r.samples, attached: r.samples.attached ?? [] },
      })),
    };
  }

  /** Out-of-sync artifacts per (policy, destination), for the gauge. */
  outOfSync(): Promise<DriftCount[]> {
    return queryRows(
      this.dataSource,
      `SELECT policy_id AS "policyId", destination_registry_id AS "destinationRegistryId",
              missing + different + extra + attached AS n
       FROM drift_report`,
    );
  }
}
