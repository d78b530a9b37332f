import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
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
import { RequireRole } from '../auth/auth.decorators.js';
import { API_PREFIX, UuidParam } from '../common/api.js';
import { PipelineBodyDto, PipelineDto } from './dto/pipeline.dto.js';
import { PipelinesService } from './pipelines.service.js';

const pipelineState = stateFrom(PipelinesService, async (s, id) => s.view(await s.get(id)));

@ApiTags('promotions')
@ApiBearerAuth()
@Controller(`${API_PREFIX}/pipelines`)
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Post()
  @RequireRole('admin')
  @Audited('pipeline', { state: pipelineState })
  @ApiOperation({
    summary: 'Create a promotion pipeline (admin)',
    description:
      'Stages in order, each a registry and a repository mapping, with optional gates, immutable tags and ' +
      'auto-promotion. The first stage receives pushes; promotions go into the later ones.',
  })
  @ApiCreatedResponse({ type: PipelineDto })
  @ApiBadRequestResponse({
    description: 'Each invalid field (stages[i].gates[j]…) with the reason',
  })
  @ApiConflictResponse({ description: 'The name is taken' })
  async create(@Body() body: PipelineBodyDto): Promise<PipelineDto> {
    return this.pipelines.view(await this.pipelines.create(body));
  }

  @Get()
  @ApiOperation({ summary: 'List pipelines' })
  @ApiOkResponse({ type: [PipelineDto] })
  async list(): Promise<PipelineDto[]> {
    return this.pipelines.views(await this.pipelines.list());
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a pipeline' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiNotFoundResponse()
  async get(@Param('id', UuidParam) id: string): Promise<PipelineDto> {
    return this.pipelines.view(await this.pipelines.get(id));
  }

  @Put(':id')
  @RequireRole('admin')
  @Audited('pipeline', { state: pipelineState })
  @ApiOperation({
    summary: 'Replace a pipeline definition (admin)',
    description: 'Stages keep their identity (history, arrivals, holds) by name.',
  })
  @ApiOkResponse({ type: PipelineDto })
  @ApiBadRequestResponse({ description: 'Each invalid field with the reason' })
  @ApiConflictResponse({ description: 'A removed stage has open promotions, or the name is taken' })
  async replace(
    @Param('id', UuidParam) id: string,
    @Body() body: PipelineBodyDto,
  ): Promise<PipelineDto> {
    return this.pipelines.view(await this.pipelines.replace(id, body));
  }

  @Delete(':id')
  @RequireRole('admin')
  @Audited('pipeline', { state: pipelineState })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a pipeline and its history (admin)' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'Promotions are still open' })
  delete(@Param('id', UuidParam) id: string): Promise<void> {
    return this.pipelines.delete(id);
  }
}
