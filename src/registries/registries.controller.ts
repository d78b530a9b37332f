import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
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
import { API_PREFIX, UuidParam } from '../common/api.js';
import {
  CreatedRegistryDto,
  CreateRegistryDto,
  PingResultDto,
  RegistryDto,
  RotateWebhookSecretDto,
  UpdateRegistryDto,
  WebhookSecretDto,
} from './dto/registry.dto.js';
import { RegistriesService } from './registries.service.js';
import { RegistryPinger } from './registry-pinger.js';

/** A registry as the audit log records it: its public view, never its secrets. */
const registryState = stateFrom(RegistriesService, async (s, id) =>
  RegistryDto.from(await s.get(id)),
);

@ApiTags('registries')
@ApiBearerAuth()
@Controller(`${API_PREFIX}/registries`)
export class RegistriesController {
  constructor(
    private readonly registries: RegistriesService,
    private readonly pinger: RegistryPinger,
  ) {}

  @Post()
  @Audited('registry', { state: registryState })
  @ApiOperation({
    summary:
      'Register a registry endpoint (the password is stored encrypted, never returned; the webhook secret is returned this once)',
  })
  @ApiCreatedResponse({ type: CreatedRegistryDto })
  @ApiBadRequestResponse({ description: 'Each invalid field with the reason' })
  @ApiConflictResponse({ description: 'The name, or the given webhook secret, is taken' })
  async create(@Body() body: CreateRegistryDto): Promise<CreatedRegistryDto> {
    const { registry, webhookSecret } = await this.registries.create(body);
    return CreatedRegistryDto.created(registry, webhookSecret);
  }

  @Get()
  @ApiOperation({ summary: 'List registries' })
  @ApiOkResponse({ type: [RegistryDto] })
  async list(): Promise<RegistryDto[]> {
    return (await this.registries.list()).map((r) => RegistryDto.from(r));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a registry' })
  @ApiOkResponse({ type: RegistryDto })
  @ApiNotFoundResponse()
  async get(@Param('id', UuidParam) id: string): Promise<RegistryDto> {
    return RegistryDto.from(await this.registries.get(id));
  }

  @Patch(':id')
  @Audited('registry', { state: registryState })
  @ApiOperation({ summary: 'Change a registry; `password: null` removes the stored password' })
  @ApiOkResponse({ type: RegistryDto })
  @ApiNotFoundResponse()
  async update(
    @Param('id', UuidParam) id: string,
    @Body() body: UpdateRegistryDto,
  ): Promise<RegistryDto> {
    return RegistryDto.from(await this.registries.update(id, body));
  }

  @Delete(':id')
  @Audited('registry', { state: registryState })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a registry no policy uses' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'Policies use it; they are named' })
  delete(@Param('id', UuidParam) id: string): Promise<void> {
    return this.registries.delete(id);
  }

  @Post(':id/webhook-secret')
  @Audited('registry', { action: 'rotate-webhook-secret', state: registryState })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Replace the webhook secret (given, or generated); returns it this once, and the old one stops working',
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiBadRequestResponse({ description: 'The given secret is too short or has spaces' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Another registry uses the given secret' })
  async rotateWebhookSecret(
    @Param('id', UuidParam) id: string,
    @Body() body: RotateWebhookSecretDto,
  ): Promise<WebhookSecretDto> {
    return {
      registryId: id,
      webhookSecret: await this.registries.rotateWebhookSecret(id, body.webhookSecret),
    };
  }

  @Post(':id/ping')
  @Audited('registry', { action: 'ping', state: registryState })
  @HttpCode(200)
  @ApiOperation({ summary: 'Check reachability and credentials; detect and store capabilities' })
  @ApiOkResponse({ type: PingResultDto })
  @ApiNotFoundResponse()
  ping(@Param('id', UuidParam) id: string): Promise<PingResultDto> {
    return this.pinger.ping(id);
  }
}
