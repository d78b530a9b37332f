import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBearerAuth,
  ApiBadRequestResponse,
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
import { RequireRole } from '../auth/auth.decorators.js';
import { CreatePolicyDto, PolicyDto, UpdatePolicyDto } from './dto/policy.dto.js';
import { PolicyPreviewDto, PolicyPreviewRequestDto } from './dto/preview.dto.js';
import { PolicyPreview } from './policy-preview.js';
import { PoliciesService } from './policies.service.js';

const policyState = stateFrom(PoliciesService, async (s, id) => PolicyDto.from(await s.get(id)));

@ApiTags('policies')
@ApiBearerAuth()
@Controller(`${API_PREFIX}/policies`)
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly previews: PolicyPreview,
  ) {}

  @Post()
  @Audited('policy', { state: policyState })
  @ApiOperation({ summary: 'Create a replication policy' })
  @ApiCreatedResponse({ type: PolicyDto })
  @ApiBadRequestResponse({ description: 'Each invalid field with the reason' })
  @ApiConflictResponse({ description: 'The name is taken' })
  async create(@Body() body: CreatePolicyDto): Promise<PolicyDto> {
    return PolicyDto.from(await this.policies.create(body));
  }

  @Post('preview')
  @HttpCode(200)
  @RequireRole('viewer')
  @ApiOperation({
    summary: 'Dry-run filters against a source: the repositories and tag counts they select',
    description:
      'Reads the source only (catalog and tag lists), one page at a time: at most `limit` repositories, ' +
      '10,000 names looked at and 10 s per page; `next` continues. Counts are per page. Any role may ask.',
  })
  @ApiOkResponse({ type: PolicyPreviewDto })
  @ApiBadRequestResponse({
    description: 'Unknown source registry or a pattern that does not compile',
  })
  @ApiBadGatewayResponse({ description: 'The source could not be listed' })
  preview(@Body() body: PolicyPreviewRequestDto): Promise<PolicyPreviewDto> {
    return this.previews.preview(body);
  }

  @Get()
  @ApiOperation({ summary: 'List policies' })
  @ApiOkResponse({ type: [PolicyDto] })
  async list(): Promise<PolicyDto[]> {
    return (await this.policies.list()).map((p) => PolicyDto.from(p));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a policy' })
  @ApiOkResponse({ type: PolicyDto })
  @ApiNotFoundResponse()
  async get(@Param('id', UuidParam) id: string): Promise<PolicyDto> {
    return PolicyDto.from(await this.policies.get(id));
  }

  @Patch(':id')
  @Audited('policy', { state: policyState })
  @ApiOperation({ summary: 'Change a policy (destinations and filters are replaced whole)' })
  @ApiOkResponse({ type: PolicyDto })
  @ApiBadRequestResponse({ description: 'Each invalid field with the reason' })
  @ApiNotFoundResponse()
  async update(
    @Param('id', UuidParam) id: string,
    @Body() body: UpdatePolicyDto,
  ): Promise<PolicyDto> {
    return PolicyDto.from(await this.policies.update(id, body));
  }

  @Delete(':id')
  @Audited('policy', { state: policyState })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a policy, its executions and its ledger' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  delete(@Param('id', UuidParam) id: string): Promise<void> {
    return this.policies.delete(id);
  }
}
