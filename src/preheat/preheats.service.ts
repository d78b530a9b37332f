import { Injectable } from '@nestjs/common';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import { PreheatDto, type PreheatListDto } from './dto/preheat.dto.js';
import { PreheatStore } from './preheat-store.js';

@Injectable()
export class PreheatsService {
  constructor(
    private readonly executions: ExecutionsService,
    private readonly store: PreheatStore,
  ) {}

  /** An execution's preheats; 404 when the execution does not exist. */
  async listFor(executionId: string): Promise<PreheatListDto> {
    await this.executions.get(executionId);
    const rows = await this.store.listFor(executionId);
    const counts = { total: rows.length, pending: 0, running: 0, succeeded: 0, failed: 0 };
    for (const row of rows) counts[row.status]++;
    return { counts, items: rows.map((r) => PreheatDto.from(r)) };
  }
}
