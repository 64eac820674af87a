import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { CompressResponse } from '../../common/http/compress-response.decorator';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { AnalyticsReadService } from './analytics-read.service';
import { DeviceHealthService } from './device-health.service';
import {
  AlertDto,
  AlertsQueryDto,
  CreatedSnapshotDto,
  CreateSnapshotDto,
  DashboardDto,
  DeviceHealthDto,
  DeviceHealthQueryDto,
  DomainBreakdownDto,
  DevicePageDto,
  DevicesQueryDto,
  SnapshotDto,
  SnapshotsQueryDto,
} from './dto/analytics.dto';
import { SnapshotService } from './snapshot.service';

@ApiTags('analytics')
@ApiExtraModels(DomainBreakdownDto)
@Controller()
export class AnalyticsController {
  constructor(
    private readonly readService: AnalyticsReadService,
    private readonly snapshotService: SnapshotService,
    private readonly deviceHealthService: DeviceHealthService,
  ) {}

  /** Latest snapshot, 7-day trend, unhealthy devices, conflict hotspots, open alerts and the queue. */
  @ApiOperation({ operationId: 'getDashboard' })
  @Get('api/sync/dashboard')
  @CompressResponse()
  @RequireScopes('admin')
  dashboard(@CurrentPrincipal() principal: Principal): Promise<DashboardDto> {
    return this.readService.dashboard(principal.tenantId);
  }

  /** Takes a snapshot of the last `time_window_hours` hours now. */
  @ApiOperation({ operationId: 'createAnalyticsSnapshot' })
  @Post('api/sync/snapshot/create')
  @CompressResponse()
  @RequireScopes('admin')
  @HttpCode(201)
  @ApiCreatedResponse({ type: CreatedSnapshotDto })
  @ApiBadRequestResponse({ type: ErrorBodyDto })
  createSnapshot(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateSnapshotDto,
  ): Promise<CreatedSnapshotDto> {
    return this.snapshotService.createSnapshot(principal.tenantId, dto.time_window_hours ?? 1);
  }

  /** One device's health; a sync caller sees only its own user's devices. */
  @ApiOperation({ operationId: 'getDeviceHealth' })
  @Get('api/sync/device-health')
  @CompressResponse()
  @RequireScopes('sync', 'admin')
  @ApiBadRequestResponse({ type: ErrorBodyDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: 'Unknown device or not in the caller’s scope' })
  deviceHealth(
    @CurrentPrincipal() principal: Principal,
    @Query() query: DeviceHealthQueryDto,
  ): Promise<DeviceHealthDto> {
    return this.deviceHealthService.deviceHealth(principal, query.device_id);
  }

  /** Snapshots whose window ends between from and to (default: the last 7 days), oldest first. */
  @ApiOperation({ operationId: 'listAnalyticsSnapshots' })
  @Get('api/v1/analytics/snapshots')
  @RequireScopes('admin')
  @ApiBadRequestResponse({ type: ErrorBodyDto })
  snapshots(@CurrentPrincipal() principal: Principal, @Query() query: SnapshotsQueryDto): Promise<SnapshotDto[]> {
    return this.readService.listSnapshots(principal.tenantId, query.from, query.to);
  }

  /** Device health by device id (keyset pages), optionally only devices scoring at most max_health. */
  @ApiOperation({ operationId: 'listDeviceHealth' })
  @Get('api/v1/analytics/devices')
  @RequireScopes('admin')
  @ApiBadRequestResponse({ type: ErrorBodyDto })
  devices(@CurrentPrincipal() principal: Principal, @Query() query: DevicesQueryDto): Promise<DevicePageDto> {
    return this.deviceHealthService.listDevices(
      principal.tenantId,
      query.max_health ?? null,
      query.cursor ?? null,
      query.limit ?? 100,
    );
  }

  /** The tenant's alerts, newest first. */
  @ApiOperation({ operationId: 'listAlerts' })
  @Get('api/v1/analytics/alerts')
  @RequireScopes('admin')
  alerts(@CurrentPrincipal() principal: Principal, @Query() query: AlertsQueryDto): Promise<AlertDto[]> {
    return this.readService.listAlerts(principal.tenantId, query.status);
  }
}
