import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators.js';
import { API_PREFIX } from '../common/api.js';
import { AuditService } from './audit.service.js';
import { AuditEntryDto, AuditPageDto, AuditQuery } from './dto/audit.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@RequireRole('admin')
@Controller(`${API_PREFIX}/audit`)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Changes made over the API, newest first (admin)',
    description:
      'Who (API token id and name), what (action), on which resource, before and after with secrets redacted, when, and the request id. Failed requests change nothing and are not listed.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  async list(@Query() query: AuditQuery): Promise<AuditPageDto> {
    const { items, total } = await this.audit.list(query);
    return {
      items: items.map((e) => AuditEntryDto.from(e)),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }
}
