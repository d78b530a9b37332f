import { Controller, Get, Param } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { API_PREFIX, UuidParam } from '../common/api.js';
import { PreheatListDto } from './dto/preheat.dto.js';
import { PreheatsService } from './preheats.service.js';

@ApiTags('executions')
@ApiBearerAuth()
@Controller(API_PREFIX)
export class PreheatsController {
  constructor(private readonly preheats: PreheatsService) {}

  @Get('executions/:id/preheats')
  @ApiOperation({
    summary: 'Dragonfly preheats of what an execution delivered',
    description:
      'One entry per image (and platform) delivered to a registry with a Dragonfly manager. ' +
      'A failed preheat leaves the execution succeeded; its message then says so.',
  })
  @ApiOkResponse({ type: PreheatListDto })
  @ApiNotFoundResponse()
  list(@Param('id', UuidParam) id: string): Promise<PreheatListDto> {
    return this.preheats.listFor(id);
  }
}
