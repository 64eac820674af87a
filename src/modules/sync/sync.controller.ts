import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiGoneResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { CompressResponse } from '../../common/http/compress-response.decorator';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { Meter, SyncMeter } from '../../common/metering/sync-meter';
import { PullBodyDto, PullQueryDto, PullResponseDto } from './dto/sync.dto';
import { SyncLiveService } from './sync-live.service';

@ApiTags('sync')
@RequireScopes('sync')
@ApiBadRequestResponse({ type: ErrorBodyDto })
@ApiGoneResponse({ type: ErrorBodyDto, description: 'RESYNC_REQUIRED: the cursor lies below the purge horizon' })
@Controller('api/v1/sync/pull')
export class SyncController {
  constructor(private readonly sync: SyncLiveService) {}

  /**
   * The tenant's changes feed after a cursor (keyset over the change sequence; tombstones included); with wait=N an
   * empty page is held up to N seconds until a change commits.
   */
  @ApiOperation({ operationId: 'pullChanges' })
  @Get()
  @CompressResponse()
  pull(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PullQueryDto,
    @Meter('pull') meter: SyncMeter,
  ): Promise<PullResponseDto> {
    return this.sync.pull(principal, query, meter);
  }

  /** The same feed; with known_versions and delta: true, changes come as RFC 6902 patches when smaller. */
  @ApiOperation({ operationId: 'pullChangesWithBody' })
  @Post()
  @ApiBody({ type: PullBodyDto, required: false, description: 'Optional: no body pulls from the beginning' })
  @CompressResponse()
  @HttpCode(200)
  pullWithBody(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PullBodyDto,
    @Meter('pull') meter: SyncMeter,
  ): Promise<PullResponseDto> {
    return this.sync.pull(principal, body, meter);
  }
}
