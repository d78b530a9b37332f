import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited, stateOf } from '../audit/audited.decorator.js';
import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { API_PREFIX, UuidParam } from '../common/api.js';
import {
  CreatePromotionDto,
  DecisionDto,
  DryRunDto,
  PromotionDto,
  PromotionPageDto,
  ReleaseDto,
  RollbackDto,
} from './dto/promotion.dto.js';
import { HistoryQuery, PipelineStateDto, StateQuery } from './dto/state.dto.js';
import { PipelineState } from './pipeline-state.js';
import { PromotionDecisions } from './promotion-decisions.js';
import { PromotionRequests } from './promotion-requests.js';
import { PromotionRollbacks } from './promotion-rollbacks.js';
import { PromotionViews } from './promotion-views.js';

const promotionState = stateOf(PromotionViews, 'byId');

@ApiTags('promotions')
@ApiBearerAuth()
@ApiExtraModels(DryRunDto)
@Controller(API_PREFIX)
export class PromotionsController {
  constructor(
    private readonly requests: PromotionRequests,
    private readonly decisions: PromotionDecisions,
    private readonly rollbacks: PromotionRollbacks,
    private readonly state: PipelineState,
    private readonly views: PromotionViews,
  ) {}

  @Post('pipelines/:id/promotions')
  @HttpCode(202)
  @Audited('pipeline', { action: 'promote' })
  @ApiOperation({
    summary: 'Promote a digest into a stage (operator; force needs admin)',
    description:
      'Copies exactly the digest, with its children and referrers, from the previous stage into `toStage` ' +
      'once the stage’s gates pass; one promotion copies into a stage at a time, in request order. A tag is ' +
      'resolved to its digest now. The previous stage must hold the digest (409 naming it) unless an admin ' +
      'forces the skip with a reason; an immutable tag is never re-pointed (409). `dryRun: true` answers 200 ' +
      'with the gates and what would be copied, and records nothing.',
  })
  @ApiAcceptedResponse({
    type: PromotionDto,
    description: 'Recorded; `gates` and `message` say where it stands',
  })
  @ApiOkResponse({ type: DryRunDto, description: 'A dry run' })
  @ApiBadRequestResponse({ description: 'Each invalid field with the reason' })
  @ApiForbiddenResponse({ description: 'force without the admin role' })
  @ApiBadGatewayResponse({ description: 'A stage registry could not be asked (named)' })
  @ApiConflictResponse({
    description: 'The stage the digest is missing from, or the immutable tag',
  })
  async promote(
    @Param('id', UuidParam) id: string,
    @Body() body: CreatePromotionDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PromotionDto | DryRunDto> {
    if (body.dryRun) res.status(200);
    return this.requests.promote(id, body, principal);
  }

  @Get('promotions/:id')
  @ApiOperation({
    summary: 'A promotion: status, every gate with its reason and evidence, decisions',
  })
  @ApiOkResponse({ type: PromotionDto })
  @ApiNotFoundResponse()
  async get(@Param('id', UuidParam) id: string): Promise<PromotionDto> {
    return this.views.byId(id);
  }

  @Post('promotions/:id/approve')
  @HttpCode(200)
  @Audited('promotion', { action: 'approve', state: promotionState })
  @ApiOperation({
    summary: 'Approve a waiting promotion (operator)',
    description:
      'Counts toward the approval gate: distinct tokens, never the requester’s, one each.',
  })
  @ApiOkResponse({ type: PromotionDto })
  @ApiForbiddenResponse({ description: 'The requester, or a role the gate does not accept' })
  @ApiConflictResponse({ description: 'Not waiting, no approval gate, or already decided' })
  approve(
    @Param('id', UuidParam) id: string,
    @Body() body: DecisionDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PromotionDto> {
    return this.decisions.approve(id, principal, body);
  }

  @Post('promotions/:id/reject')
  @HttpCode(200)
  @Audited('promotion', { action: 'reject', state: promotionState })
  @ApiOperation({ summary: 'Reject a waiting or queued promotion (operator): it is refused' })
  @ApiOkResponse({ type: PromotionDto })
  @ApiConflictResponse({ description: 'Already running or ended, or already decided' })
  reject(
    @Param('id', UuidParam) id: string,
    @Body() body: DecisionDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PromotionDto> {
    return this.decisions.reject(id, principal, body);
  }

  @Get('pipelines/:id/history')
  @ApiOperation({
    summary: 'Every promotion of the pipeline, newest first (kept without limit)',
    description: 'Who, when, digest, from, to, reason, gates with evidence, decisions, result.',
  })
  @ApiOkResponse({ type: PromotionPageDto })
  history(
    @Param('id', UuidParam) id: string,
    @Query() query: HistoryQuery,
  ): Promise<PromotionPageDto> {
    return this.state.history(id, query);
  }

  @Get('pipelines/:id/state')
  @ApiOperation({
    summary: 'Where each repository’s digests stand, per stage: tags, arrivals, holds',
    description:
      'Repositories by name; `limit`/`offset` page them (`repositoryCount` counts all), `digests` keeps the newest digests per stage and repository.',
  })
  @ApiOkResponse({ type: PipelineStateDto })
  getState(
    @Param('id', UuidParam) id: string,
    @Query() query: StateQuery,
  ): Promise<PipelineStateDto> {
    return this.state.state(id, query);
  }

  @Post('pipelines/:id/rollback')
  @HttpCode(202)
  @Audited('pipeline', { action: 'rollback' })
  @ApiOperation({
    summary: 'Re-point a stage’s tag to an earlier promoted digest (operator)',
    description:
      'Default: the digest promoted at that tag before the current one. Recorded as a promotion (kind ' +
      '`rollback`); holds auto-promotion into the stage for the repository until released.',
  })
  @ApiAcceptedResponse({ type: PromotionDto })
  @ApiConflictResponse({ description: 'No earlier digest, or the tag is immutable' })
  @ApiBadGatewayResponse({ description: 'The stage registry could not be asked (named)' })
  rollback(
    @Param('id', UuidParam) id: string,
    @Body() body: RollbackDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PromotionDto> {
    return this.rollbacks.rollback(id, body, principal);
  }

  @Post('pipelines/:id/release')
  @HttpCode(200)
  @Audited('pipeline', { action: 'release' })
  @ApiOperation({ summary: 'Release a rollback’s hold on auto-promotion into a stage (operator)' })
  @ApiOkResponse({ schema: { example: { stage: 'prod', repository: 'team/app', released: true } } })
  release(
    @Param('id', UuidParam) id: string,
    @Body() body: ReleaseDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.rollbacks.release(id, body, principal);
  }
}
