import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EventDto, EventPageDto, EventQuery } from './dto/event-inbox.dto.js';
import { EventInbox } from './event-inbox.js';
import { EVENTS_ROUTE } from './webhook-routes.js';

/** What registries told regrelay: events acted on, and events rejected with the reason. */
@ApiTags('events')
@ApiBearerAuth()
@Controller(EVENTS_ROUTE)
export class EventInboxController {
  constructor(private readonly inbox: EventInbox) {}

  @Get()
  @ApiOperation({
    summary: 'List stored registry events, newest first (kept 7 days after processing)',
    description:
      '`status=rejected` lists the events regrelay could not use, with the field and the reason. ' +
      'Ignored notifications (pulls, blob uploads) are counted in metrics, not stored.',
  })
  @ApiOkResponse({ type: EventPageDto })
  async list(@Query() query: EventQuery): Promise<EventPageDto> {
    const { rows, total } = await this.inbox.list(query);
    return {
      items: rows.map((r) => EventDto.from(r)),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }
}
