import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { Audited, stateOf } from '../../audit/audited.decorator.js';
import { API_PREFIX, UuidParam } from '../../common/api.js';
import { InvalidInputException } from '../../common/validation.js';
import {
  ConfirmedDeletionsDto,
  ExecutionDto,
  ExecutionPageDto,
  ExecutionQuery,
  TaskPageDto,
  TaskQuery,
  TriggeredExecutionDto,
} from '../dto/execution.dto.js';
import { ExecutionStream } from './execution-stream.js';
import { ExecutionsService } from './executions.service.js';

@ApiTags('executions')
@ApiBearerAuth()
@Controller(API_PREFIX)
export class ExecutionsController {
  constructor(
    private readonly executions: ExecutionsService,
    private readonly stream: ExecutionStream,
  ) {}

  @Post('policies/:id/executions')
  @Audited('policy', { action: 'trigger-execution' })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run a policy now',
    description:
      'Returns at once. If an execution of the policy is already waiting, this trigger joins it (coalesced).',
  })
  @ApiAcceptedResponse({ type: TriggeredExecutionDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The policy is disabled' })
  async trigger(@Param('id', UuidParam) policyId: string): Promise<TriggeredExecutionDto> {
    const { execution, coalesced } = await this.executions.trigger(policyId, 'manual');
    return { id: execution.id, status: execution.status, coalesced };
  }

  @Get('executions')
  @ApiOperation({
    summary: 'List executions, newest first',
    description: 'Of every owner (policies, one-off copies), or filtered by owner or policy.',
  })
  @ApiOkResponse({ type: ExecutionPageDto })
  list(@Query() query: ExecutionQuery): Promise<ExecutionPageDto> {
    const { policyId, ...filter } = query;
    if (!policyId) return this.executions.list(filter);
    if ((filter.ownerKind ?? 'policy') !== 'policy' || (filter.ownerId ?? policyId) !== policyId)
      throw new InvalidInputException([
        {
          field: 'policyId',
          reason: 'policyId selects executions of a policy; it contradicts ownerKind/ownerId',
        },
      ]);
    return this.executions.list({ ...filter, ownerKind: 'policy', ownerId: policyId });
  }

  @Get('executions/:id')
  @ApiOperation({ summary: 'Get an execution with task counts and bytes' })
  @ApiOkResponse({ type: ExecutionDto })
  @ApiNotFoundResponse()
  get(@Param('id', UuidParam) id: string): Promise<ExecutionDto> {
    return this.executions.view(id);
  }

  @Get('executions/:id/tasks')
  @ApiOperation({ summary: "List an execution's tasks in planning order" })
  @ApiOkResponse({ type: TaskPageDto })
  @ApiNotFoundResponse()
  tasks(@Param('id', UuidParam) id: string, @Query() query: TaskQuery): Promise<TaskPageDto> {
    return this.executions.tasksOf(id, query);
  }

  @Post('executions/:id/stop')
  @Audited('execution', { action: 'stop', state: stateOf(ExecutionsService, 'view') })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Stop an execution',
    description:
      'Pending tasks become stopped at once; running transfers are aborted on every replica within a second or two.',
  })
  @ApiAcceptedResponse({ type: ExecutionDto })
  @ApiNotFoundResponse()
  stop(@Param('id', UuidParam) id: string): Promise<ExecutionDto> {
    return this.executions.stop(id);
  }

  @Post('executions/:id/confirm-deletions')
  @Audited('execution', { action: 'confirm-deletions', state: stateOf(ExecutionsService, 'view') })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run deletions the deletion guard held',
    description:
      'While the execution runs, its held deletions are released; after it ended, they run in a new execution (returned). ' +
      'Each deletion still checks that the source lacks the tag and the destination holds what regrelay wrote.',
  })
  @ApiAcceptedResponse({ type: ConfirmedDeletionsDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({
    description: 'Nothing is held, or another execution of the policy is waiting',
  })
  confirmDeletions(@Param('id', UuidParam) id: string): Promise<ConfirmedDeletionsDto> {
    return this.executions.confirmDeletions(id);
  }

  @Sse('executions/:id/events')
  @ApiOperation({
    summary: 'Stream an execution’s progress (Server-Sent Events)',
    description:
      'Events: snapshot (the execution), task.started, task.progress, task.finished, heartbeat, and execution.finished, after which the stream ends.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream' })
  @ApiNotFoundResponse()
  events(@Param('id', UuidParam) id: string): Promise<Observable<MessageEvent>> {
    return this.stream.open(id);
  }
}
