import { Controller, Get, HttpStatus, Logger, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators.js';
import { ShutdownState } from './shutdown-state.js';

class CheckDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: 'up' | 'down';
  @ApiProperty({ required: false, example: 2 })
  latencyMs?: number;
  @ApiProperty({
    required: false,
    description: 'What failed, in general terms; the cause itself is only logged',
    example: 'the database did not answer the check',
  })
  error?: string;
}

class HealthDto {
  @ApiProperty({ enum: ['ok', 'unavailable'], example: 'ok' })
  status!: 'ok' | 'unavailable';
  @ApiProperty({
    required: false,
    type: Object,
    example: { database: { status: 'up', latencyMs: 2 } },
  })
  checks?: Record<string, CheckDto>;
}

const DATABASE_TIMEOUT_MS = 2_000;
/** Probes come every few seconds; during an outage one log line per interval is enough. */
const LOG_FAILURES_EVERY_MS = 30_000;

/**
 * Open without a token: probes and load balancers cannot hold one, and the answers
 * reveal nothing beyond up or down.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);
  private lastFailureLogged = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is running and serving HTTP' })
  @ApiOkResponse({ type: HealthDto })
  live(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers and the process is not shutting down' })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto })
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const database = await this.checkDatabase();
    const checks: Record<string, CheckDto> = { database };
    if (this.shutdown.isDraining) checks.process = { status: 'down', error: 'shutting down' };
    const ok = Object.values(checks).every((c) => c.status === 'up');
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }

  private async checkDatabase(): Promise<CheckDto> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${DATABASE_TIMEOUT_MS} ms`)),
            DATABASE_TIMEOUT_MS,
          );
        }),
      ]);
      return { status: 'up', latencyMs: Date.now() - started };
    } catch (error) {
      // The driver's text names hosts, ports, users and databases: it goes to the log,
      // not to whoever can reach this open route.
      if (Date.now() - this.lastFailureLogged >= LOG_FAILURES_EVERY_MS) {
        this.lastFailureLogged = Date.now();
        this.logger.warn({ err: error }, 'Readiness: the database check failed');
      }
      return { status: 'down', error: 'the database did not answer the check' };
    } finally {
      clearTimeout(timer);
    }
  }
}
