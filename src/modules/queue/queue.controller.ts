import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiHeader, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { CompressResponse } from '../../common/http/compress-response.decorator';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { RecordFieldsPipe } from '../../common/http/record-fields.pipe';
import { Meter, SyncMeter } from '../../common/metering/sync-meter';
import {
  OptimalTimeDto,
  PartialSyncDto,
  PartialSyncResponseDto,
  PUSH_REQUEST_EXAMPLE,
  PUSH_REQUEST_OPENAPI_SCHEMA,
  PushRequest,
  PushResponseDto,
  QueueStatusDto,
} from './dto/queue.dto';
import { PartialSyncService } from './partial-sync.service';
import { PushBodyPipe } from './push-body.pipe';
import { PushIntakeService } from './push-intake.service';
import { QueueStatsService } from './queue-stats.service';

@ApiTags('sync')
@RequireScopes('sync')
@ApiBadRequestResponse({ type: ErrorBodyDto })
@Controller()
export class QueueController {
  constructor(
    private readonly intake: PushIntakeService,
    private readonly partialSync: PartialSyncService,
    private readonly stats: QueueStatsService,
  ) {}

  /** Stores a device's queued edits idempotently and applies them (mode process) through the conflict engine. */
  @ApiOperation({ operationId: 'pushChanges' })
  @Post('api/v1/sync/push')
  @CompressResponse()
  @HttpCode(200)
  @ApiBody({ schema: PUSH_REQUEST_OPENAPI_SCHEMA, examples: { push: { value: PUSH_REQUEST_EXAMPLE } } })
  @ApiConflictResponse({ type: ErrorBodyDto, description: 'client_mutation_id reused with a different payload' })
  @ApiHeader({ name: 'X-Device-Id', required: true, description: 'The pushing device (1..128 chars)' })
  push(
    @CurrentPrincipal() principal: Principal,
    @Body(PushBodyPipe, RecordFieldsPipe('items.*.data')) body: PushRequest,
    @Meter('push') meter: SyncMeter,
  ): Promise<PushResponseDto> {
    return this.intake.push(principal, body, meter);
  }

  /** The caller's pending items (its device with X-Device-Id, else its user's devices). */
  @ApiOperation({ operationId: 'getQueueStatus' })
  @Get('api/v1/sync/queue-status')
  @CompressResponse()
  queueStatus(@CurrentPrincipal() principal: Principal): Promise<QueueStatusDto> {
    return this.stats.queueStatus(principal);
  }

  /** Processes the caller's most urgent pending items, at most the batch size of its network. */
  @ApiOperation({ operationId: 'partialSync' })
  @Post('api/v1/sync/partial')
  @CompressResponse()
  @HttpCode(200)
  partial(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PartialSyncDto,
    @Meter('partial') meter: SyncMeter,
  ): Promise<PartialSyncResponseDto> {
    return this.partialSync.partialSync(principal, body, meter);
  }

  /** Whether to sync now or wait, from the tenant's queue and its peak hours. */
  @ApiOperation({ operationId: 'getOptimalSyncTime' })
  @Get('api/v1/sync/optimal-time')
  @CompressResponse()
  optimalTime(@CurrentPrincipal() principal: Principal): Promise<OptimalTimeDto> {
    return this.stats.optimalTime(principal);
  }
}
