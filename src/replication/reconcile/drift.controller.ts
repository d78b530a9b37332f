import { BadGatewayException, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { Audited } from '../../audit/audited.decorator.js';
import { API_PREFIX, UuidParam } from '../../common/api.js';
import { PoliciesService } from '../../policies/policies.service.js';
import { RegistriesService } from '../../registries/registries.service.js';
import { DriftDto, ReconcileStartedDto } from '../dto/drift.dto.js';
import { SourceUnreadableError } from '../planning/source-walker.js';
import type { DriftReport } from './drift-report.js';
import { DriftStore } from './drift-store.js';
import { Reconciler } from './reconciler.js';

/** A reconcile asked for over the API answers within this, or continues in the background. */
const SYNCHRONOUS_BUDGET_MS = 30_000;

@ApiTags('policies')
@ApiBearerAuth()
@Controller(`${API_PREFIX}/policies/:id/drift`)
export class DriftController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly registries: RegistriesService,
    private readonly reconciler: Reconciler,
    private readonly store: DriftStore,
  ) {}

  @Get()
  @ApiOperation({
    summary: "The policy's latest drift report (per destination: missing, different, extra)",
  })
  @ApiOkResponse({ type: DriftDto })
  @ApiNotFoundResponse()
  async latest(@Param('id', UuidParam) id: string): Promise<DriftDto> {
    await this.policies.get(id);
    return this.view(id, await this.store.latest(id));
  }

  @Post()
  @Audited('policy', { action: 'reconcile' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Reconcile now',
    description: `Answers with the report when it is ready within ${SYNCHRONOUS_BUDGET_MS / 1000} s; larger policies answer 202 and finish in the background.`,
  })
  @ApiOkResponse({ type: DriftDto })
  @ApiAcceptedResponse({ type: ReconcileStartedDto })
  @ApiNotFoundResponse()
  @ApiBadGatewayResponse({ description: 'The source could not be listed' })
  async reconcile(
    @Param('id', UuidParam) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DriftDto | ReconcileStartedDto> {
    await this.policies.get(id);
    const running = this.reconciler.reconcile(id);
    const budget = new AbortController();
    const report = await Promise.race([
      running.catch((error: unknown) => {
        if (error instanceof SourceUnreadableError) throw new BadGatewayException(error.message);
        throw error;
      }),
      sleep(SYNCHRONOUS_BUDGET_MS, undefined, { signal: budget.signal }).then(
        () => undefined,
        () => undefined,
      ),
    ]).finally(() => budget.abort());
    if (!report) {
      running.catch(() => undefined); // it reports its own failure in the log
      res.status(202);
      return { status: 'running' };
    }
    return this.view(id, report);
  }

  private async view(id: string, report: DriftReport | undefined): Promise<DriftDto> {
    const registries = await this.registries.getMany(
      report?.destinations.map((d) => d.destinationRegistryId) ?? [],
    );
    return DriftDto.from(id, report, new Map([...registries].map(([rid, r]) => [rid, r.name])));
  }
}
