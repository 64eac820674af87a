import type { DeviceHealthRow } from '../modules/analytics/device-health.repository';
import type { TenantSnapshotResult } from '../modules/analytics/snapshot.service';

/** `[2/5] tenant 7: …`: where a run over several tenants stands. */
export function tenantProgress(index: number, total: number, tenantId: string, state: string): string {
  return `[${index + 1}/${total}] tenant ${tenantId}: ${state}`;
}

export function describeSnapshot(result: TenantSnapshotResult): string {
  const snapshot = result.snapshot;
  if (!snapshot) return 'no snapshot';
  const alerts = result.openedAlerts.length > 0 ? `, alerts: ${result.openedAlerts.map((a) => a.kind).join(', ')}` : '';
  return (
    `snapshot ${snapshot.id}${result.created ? '' : ' (existing)'}, ${snapshot.total_sync_requests} requests, ` +
    `success ${snapshot.success_rate_pct.toFixed(1)} %, conflicts ${snapshot.conflict_rate_pct.toFixed(1)} %${alerts}`
  );
}

export function describeUnhealthyDevice(tenantId: string, device: DeviceHealthRow): string {
  return (
    `  tenant ${tenantId} device ${device.device_id} (user ${device.user_id ?? '-'}): ` +
    `score ${device.health_score.toFixed(1)}, last sync ${device.last_sync_at.toISOString()}`
  );
}
