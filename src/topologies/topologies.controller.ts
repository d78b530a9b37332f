import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Audited, stateFrom } from '../audit/audited.decorator.js';
import { API_PREFIX, UuidParam } from '../common/api.js';
import {
  ConflictDto,
  ConflictPageDto,
  ConflictQuery,
  ResolveConflictDto,
  SyncStartedDto,
  TopologyPlanDto,
  TopologyStatusDto,
} from './dto/topology-reports.dto.js';
import { CreateTopologyDto, TopologyDto, UpdateTopologyDto } from './dto/topology.dto.js';
import { TopologiesService } from './topologies.service.js';
import { TopologyOwner } from './topology-owner.js';
import { TopologyReports } from './topology-reports.js';

const topologyState = stateFrom(TopologiesService, async (s, id) =>
  TopologyDto.from(await s.get(id)),
);

@ApiTags('topologies')
@ApiBearerAuth()
@Controller(`${API_PREFIX}/topologies`)
export class TopologiesController {
  constructor(
    private readonly topologies: TopologiesService,
    private readonly owner: TopologyOwner,
    private readonly reports: TopologyReports,
  ) {}

  @Post()
  @Audited('topology', { state: topologyState })
  @ApiOperation({
    summary: 'Create a topology: a tree (root → … → leaves) or a dual-master pair',
    description:
      'Refused (400) when it would close a replication cycle with other topologies or event-triggered policies; the cycle is named. A new topology is synced at once (a backfill).',
  })
  @ApiCreatedResponse({ type: TopologyDto })
  @ApiBadRequestResponse({ description: 'Each invalid field with the reason' })
  @ApiConflictResponse({ description: 'The name is taken' })
  async create(@Body() body: CreateTopologyDto): Promise<TopologyDto> {
    const created = await this.topologies.create(body);
    if (created.enabled) await this.owner.sync(created);
    return TopologyDto.from(created);
  }

  @Get()
  @ApiOperation({ summary: 'List topologies' })
  @ApiOkResponse({ type: [TopologyDto] })
  async list(): Promise<TopologyDto[]> {
    return (await this.topologies.list()).map((t) => TopologyDto.from(t));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a topology' })
  @ApiOkResponse({ type: TopologyDto })
  @ApiNotFoundResponse()
  async get(@Param('id', UuidParam) id: string): Promise<TopologyDto> {
    return TopologyDto.from(await this.topologies.get(id));
  }

  @Patch(':id')
  @Audited('topology', { state: topologyState })
  @ApiOperation({ summary: 'Change a topology (nodes, registries and filters are replaced whole)' })
  @ApiOkResponse({ type: TopologyDto })
  @ApiBadRequestResponse({ description: 'Each invalid field with the reason' })
  @ApiNotFoundResponse()
  async update(
    @Param('id', UuidParam) id: string,
    @Body() body: UpdateTopologyDto,
  ): Promise<TopologyDto> {
    return TopologyDto.from(await this.topologies.update(id, body));
  }

  @Delete(':id')
  @Audited('topology', { state: topologyState })
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete a topology, its executions and its ledger (the registries keep what they hold)',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  delete(@Param('id', UuidParam) id: string): Promise<void> {
    return this.topologies.delete(id);
  }

  @Get(':id/status')
  @ApiOperation({
    summary: 'Where each node stands: in sync, missing, different, waiting, lag, last error',
  })
  @ApiOkResponse({ type: TopologyStatusDto })
  @ApiNotFoundResponse()
  status(@Param('id', UuidParam) id: string): Promise<TopologyStatusDto> {
    return this.reports.status(id);
  }

  @Get(':id/plan')
  @ApiOperation({ summary: 'Dry run of a full sync: what would be copied and deleted where' })
  @ApiOkResponse({ type: TopologyPlanDto })
  @ApiNotFoundResponse()
  plan(@Param('id', UuidParam) id: string): Promise<TopologyPlanDto> {
    return this.reports.plan(id);
  }

  @Post(':id/sync')
  @Audited('topology', { action: 'sync' })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Sync now: compare every node (or both sides) and repair',
    description: 'Anti-entropy and backfill; runs as an execution of the topology.',
  })
  @ApiAcceptedResponse({ type: SyncStartedDto })
  @ApiNotFoundResponse()
  async sync(@Param('id', UuidParam) id: string): Promise<SyncStartedDto> {
    const { execution, coalesced } = await this.owner.sync(await this.topologies.get(id));
    return { executionId: execution.id, coalesced };
  }

  @Get(':id/conflicts')
  @ApiOperation({ summary: "A dual-master pair's conflicts, newest first" })
  @ApiOkResponse({ type: ConflictPageDto })
  @ApiNotFoundResponse()
  conflicts(
    @Param('id', UuidParam) id: string,
    @Query() query: ConflictQuery,
  ): Promise<ConflictPageDto> {
    return this.reports.listConflicts(id, query);
  }

  @Post(':id/conflicts/:conflictId/resolve')
  @Audited('conflict', { action: 'resolve', idParam: 'conflictId' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Settle a held conflict: the chosen side wins and is copied to the other',
  })
  @ApiOkResponse({ type: ConflictDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Already settled' })
  resolve(
    @Param('id', UuidParam) id: string,
    @Param('conflictId', UuidParam) conflictId: string,
    @Body() body: ResolveConflictDto,
  ): Promise<ConflictDto> {
    return this.reports.resolve(id, conflictId, body.registryId);
  }
}
