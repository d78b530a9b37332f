import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_PREFIX } from '../common/api.js';
import { WhoAmIDto } from './dto/whoami.dto.js';
import { CurrentPrincipal, type Principal } from './principal.js';

/**
 * Who the presented token is. Any role may ask: the console uses it to sign in and
 * to leave out the buttons the token's role may not use (GET /tokens is admin-only).
 */
@ApiTags('tokens')
@ApiBearerAuth()
@Controller(`${API_PREFIX}/whoami`)
export class WhoAmIController {
  @Get()
  @ApiOperation({ summary: "The calling token's id, name and role" })
  @ApiOkResponse({ type: WhoAmIDto })
  whoami(@CurrentPrincipal() principal: Principal): WhoAmIDto {
    return { id: principal.tokenId, name: principal.name, role: principal.role };
  }
}
