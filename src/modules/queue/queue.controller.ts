import { Body, Controller, Get, HttpCode, Injectable, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { JsonSchemaPipe } from '../../common/http/json-schema.pipe';
import { RecordFieldsPipe } from '../../common/http/record-fields.pipe';
import { Meter, SyncMeter } from '../../common/metering/sync-meter';
import { AppConfig } from '../../config/app-config';
import {
  OptimalTimeDto,
  PartialSyncDto,
  PartialSyncResponseDto,
  PushRequest,
  pushRequestSchema,
  PushRequestDto,
  PushResponseDto,
  QueueStatusDto,
} from './dto/queue.dto';
import { QueueService } from './queue.service';

/** The push body schema, compiled once per app with its PUSH_MAX_ITEMS. */
@Injectable()
export class PushBodyPipe extends JsonSchemaPipe<PushRequest> {
  constructor(config: AppConfig) {
    super(pushRequestSchema(config.get('PUSH_MAX_ITEMS')));
  }
}

@ApiTags('sync')
@RequireScopes('sync')
@ApiBadRequestResponse({ type: ErrorBodyDto })
@Controller()
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  /** Stores a device's queued edits idempotently and applies them (mode process) through the conflict engine. */
  @Post('api/v1/sync/push')
  @HttpCode(200)
  @ApiBody({ type: PushRequestDto })
  @ApiConflictResponse({ type: ErrorBodyDto, description: 'client_mutation_id reused with a different payload' })
  push(
    @CurrentPrincipal() principal: Principal,
    @Body(PushBodyPipe, RecordFieldsPipe('items.*.data')) body: PushRequest,
    @Meter('push') meter: SyncMeter,
  ): Promise<PushResponseDto> {
    return this.queue.push(principal, body, meter);
  }

  /** The caller's pending items (its device with X-Device-Id, else its user's devices). */
  @Get('api/v1/sync/queue-status')
  queueStatus(@CurrentPrincipal() principal: Principal): Promise<QueueStatusDto> {
    return this.queue.queueStatus(principal);
  }

  /** Processes the caller's most urgent pending items, at most the batch size of its network. */
  @Post('api/v1/sync/partial')
  @HttpCode(200)
  partial(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PartialSyncDto,
    @Meter('partial') meter: SyncMeter,
  ): Promise<PartialSyncResponseDto> {
    return this.queue.partialSync(principal, body, meter);
  }

  /** Whether to sync now or wait, from the tenant's queue and its peak hours. */
  @Get('api/v1/sync/optimal-time')
  optimalTime(@CurrentPrincipal() principal: Principal): Promise<OptimalTimeDto> {
    return this.queue.optimalTime(principal);
  }
}
