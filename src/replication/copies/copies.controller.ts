import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Audited } from '../../audit/audited.decorator.js';
import { API_PREFIX } from '../../common/api.js';
import { CopiesAcceptedDto, CreateCopiesDto } from './copy.dto.js';
import { CopiesService } from './copies.service.js';

@ApiTags('copies')
@ApiBearerAuth()
@Controller(`${API_PREFIX}/copies`)
export class CopiesController {
  constructor(private readonly copies: CopiesService) {}

  @Post()
  @Audited('copy', { resultId: 'executionId' })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Copy artifacts by digest, once',
    description:
      'For CI and scripts: up to 1,000 items, each a source (registry, repository, digest or tag) and a ' +
      'destination (registry, repository?, tag?). Tags are resolved to digests when the request is accepted; ' +
      'from then on exactly those digests move, with their children and referrers. Nothing starts unless ' +
      'every item is valid. The copies run as one execution (owner kind `copy`), listed, streamed and ' +
      'stopped like any other.',
  })
  @ApiAcceptedResponse({ type: CopiesAcceptedDto })
  @ApiBadRequestResponse({ description: 'Each invalid item field (items[i]…) with the reason' })
  @ApiBadGatewayResponse({
    description: 'A source registry could not be asked for a tag or digest',
  })
  create(@Body() body: CreateCopiesDto): Promise<CopiesAcceptedDto> {
    return this.copies.create(body);
  }
}
