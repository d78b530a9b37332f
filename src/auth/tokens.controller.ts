import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Audited, stateFrom } from '../audit/audited.decorator.js';
import { API_PREFIX, UuidParam } from '../common/api.js';
import { ApiTokenService } from './api-token.service.js';
import { RequireRole } from './auth.decorators.js';
import { CreateTokenDto, IssuedTokenDto, TokenDto } from './dto/token.dto.js';

const DAY_MS = 86_400_000;
const tokenState = stateFrom(ApiTokenService, async (s, id) => TokenDto.from(await s.get(id)));

@ApiTags('tokens')
@ApiBearerAuth()
@RequireRole('admin')
@Controller(`${API_PREFIX}/tokens`)
export class TokensController {
  constructor(private readonly tokens: ApiTokenService) {}

  @Post()
  @Audited('token', { state: tokenState })
  @ApiOperation({ summary: 'Create an API token (the value is shown once)' })
  @ApiCreatedResponse({ type: IssuedTokenDto })
  async create(@Body() body: CreateTokenDto): Promise<IssuedTokenDto> {
    const expiresAt = body.expiresInDays
      ? new Date(Date.now() + body.expiresInDays * DAY_MS)
      : null;
    const issued = await this.tokens.issue(body.name, body.role, 'api', expiresAt);
    return { ...TokenDto.from(issued.entity), token: issued.token };
  }

  @Get()
  @ApiOperation({ summary: 'List API tokens (never their values)' })
  @ApiOkResponse({ type: [TokenDto] })
  async list(): Promise<TokenDto[]> {
    return (await this.tokens.list()).map((t) => TokenDto.from(t));
  }

  @Delete(':id')
  @Audited('token', { action: 'revoke', state: tokenState })
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API token' })
  @ApiNoContentResponse({ description: 'Revoked (or already revoked)' })
  revoke(@Param('id', UuidParam) id: string): Promise<void> {
    return this.tokens.revoke(id);
  }
}
