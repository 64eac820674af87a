import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
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
  @ApiOkResponse({ type: SnapshotPageDto })
  @Get('snapshot')
  @RequireScopes('sync')
  @Header('content-type', 'application/json; charset=utf-8')
  @CompressResponse()
  snapshot(@CurrentPrincipal() principal: Principal, @Query() query: SnapshotQueryDto): Promise<string> {
    // A SnapshotPageDto already serialised by the service (the records' JSON spliced in as PostgreSQL prints it),
    // hence the explicit response type and content type.
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
