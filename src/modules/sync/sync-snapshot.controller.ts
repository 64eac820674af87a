import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { CompressResponse } from '../../common/http/compress-response.decorator';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import {
  DevicePositionPageDto,
  DevicePositionsQueryDto,
  SnapshotPageDto,
  SnapshotQueryDto,
} from './dto/sync-snapshot.dto';
import { SyncPositionService } from './sync-position.service';
import { SyncSnapshotService } from './sync-snapshot.service';

@ApiTags('sync')
@ApiBadRequestResponse({ type: ErrorBodyDto })
@Controller('api/v1/sync')
export class SyncSnapshotController {
  constructor(
    private readonly snapshots: SyncSnapshotService,
    private readonly positions: SyncPositionService,
  ) {}

  /**
   * Replacement or first sync: the caller's current records (no tombstones), open work first, in resumable pages;
   * the last page's next_cursor continues GET /api/v1/sync/pull from snapshot_seq.
   */
  @ApiOperation({ operationId: 'getSnapshot' })
  @Get('snapshot')
  @RequireScopes('sync')
  @CompressResponse()
  snapshot(@CurrentPrincipal() principal: Principal, @Query() query: SnapshotQueryDto): Promise<SnapshotPageDto> {
    return this.snapshots.page(principal, query);
  }

  /** Every device's last acknowledged feed position, when it was seen, and how many changes it is behind. */
  @ApiOperation({ operationId: 'listDevicePositions' })
  @Get('devices')
  @RequireScopes('admin')
  devices(
    @CurrentPrincipal() principal: Principal,
    @Query() query: DevicePositionsQueryDto,
  ): Promise<DevicePositionPageDto> {
    return this.positions.listDevices(principal, query);
  }
}
