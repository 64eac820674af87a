import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { isAdmin, Principal } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import { CursorCodec } from '../../common/pagination/cursor';
import { AppConfig } from '../../config/app-config';
import { TenantService } from '../tenant/tenant.service';
import type { AlertRow } from './alert.repository';
import { AlertService } from './alert.service';
import { DeviceHealthRepository, DeviceHealthRow } from './device-health.repository';
import { DeviceHealthDto, DevicePageDto } from './dto/analytics.dto';

export interface DeviceHealthCheckResult {
  tenantId: string;
  devices: DeviceHealthRow[];
  openedAlerts: AlertRow[];
}

const DEVICE_CURSOR = new CursorCodec('dv1:', [/^.{1,128}$/s]);

@Injectable()
export class DeviceHealthService {
  private readonly logger = new Logger(DeviceHealthService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly devices: DeviceHealthRepository,
    private readonly alerts: AlertService,
    private readonly tenants: TenantService,
  ) {}

  /**
   * The daily check: stores every device's current score, lists the devices below `threshold` and re-evaluates the
   * unhealthy_devices alert, reporting each tenant as it is done. Under the advisory lock of the day, so one replica
   * runs it; returns undefined when another replica holds the lock.
   */
  async runDeviceHealthCheck(
    threshold = this.config.get('DEVICE_HEALTH_THRESHOLD'),
    onTenant: (result: DeviceHealthCheckResult, index: number, total: number) => void = () => undefined,
    now = new Date(),
  ): Promise<DeviceHealthCheckResult[] | undefined> {
    const day = now.toISOString().slice(0, 10);
    const ids = await this.tenants.listTenantIds();
    const outcome = await withAdvisoryXactLock(this.db, `analytics:device-health:${day}`, async (m) => {
      const results: DeviceHealthCheckResult[] = [];
      for (const [index, tenantId] of ids.entries()) {
        await this.devices.refreshScores(m, tenantId, now);
        const devices = await this.devices.listBelow(m, tenantId, now, threshold, 1000);
        const openedAlerts = (await this.alerts.apply(m, tenantId, null, now)).filter(
          (alert) => alert.kind === 'unhealthy_devices',
        );
        const result = { tenantId, devices, openedAlerts };
        results.push(result);
        onTenant(result, index, ids.length);
      }
      return results;
    });
    if (!outcome.ran) return undefined;
    const below = outcome.result.reduce((sum, result) => sum + result.devices.length, 0);
    this.logger.log(`device health check: ${below} devices below ${threshold}`);
    return outcome.result;
  }

  /** A sync caller sees only devices its own user synced last; admin any device of the tenant. */
  async deviceHealth(principal: Principal, deviceId: string, now = new Date()): Promise<DeviceHealthDto> {
    const userId = isAdmin(principal) ? null : (principal.userId ?? '');
    const row = await this.devices.find(this.db, principal.tenantId, now, deviceId, userId);
    if (!row) throw AppException.notFound(`device ${deviceId}`);
    return DeviceHealthDto.from(row);
  }

  async listDevices(
    tenantId: string,
    maxHealth: number | null,
    cursor: string | null,
    limit: number,
    now = new Date(),
  ): Promise<DevicePageDto> {
    const after = cursor === null ? null : DEVICE_CURSOR.decode(cursor)[0];
    const rows = await this.devices.page(this.db, tenantId, now, maxHealth, after, limit + 1);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? DEVICE_CURSOR.encode([page[page.length - 1].device_id]) : null;
    return DevicePageDto.from(page, next);
  }
}
