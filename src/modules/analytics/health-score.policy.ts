import { HOUR_MS } from '../../common/time/instant';
export interface DeviceHealthFigures {
  totalSyncs: number;
  failedSyncs: number;
  conflicts: number;
  lastSyncAt: Date | null;
}

const RECENCY_HOURS = 24;

/** Devices below this score count toward the unhealthy_devices alert. */
export const ALERT_DEVICE_SCORE = 50;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * 60 × success ratio + 20 × recency (1 at 0 h, linear to 0 at 24 h) + 20 × (1 − conflicts/syncs), clamped 0..100;
 * 100 for a device with no syncs. The conflict term never goes below 0: conflicts count items, so a device can
 * have more conflicts than syncs and must not lose points from the other terms for it.
 */
export function healthScore(figures: DeviceHealthFigures, now: Date): number {
  if (figures.totalSyncs <= 0) return 100;
  const successRatio = clamp((figures.totalSyncs - figures.failedSyncs) / figures.totalSyncs, 0, 1);
  const hoursSince = figures.lastSyncAt ? Math.max(0, now.getTime() - figures.lastSyncAt.getTime()) / HOUR_MS : 24;
  const recency = clamp(1 - hoursSince / RECENCY_HOURS, 0, 1);
  const conflictRatio = clamp(figures.conflicts / figures.totalSyncs, 0, 1);
  return clamp(60 * successRatio + 20 * recency + 20 * (1 - conflictRatio), 0, 100);
}

/**
 * The same score as a SQL expression of its inputs (SQL expressions over columns or parameters), so statements can
 * store, filter and sort by it. Kept beside healthScore; an integration test checks they agree.
 */
export function healthScoreSqlOf(total: string, failed: string, conflicts: string, lastSyncAt: string, now: string) {
  return `(CASE WHEN ${total} <= 0 THEN 100.0::float8 ELSE LEAST(100.0, GREATEST(0.0,
      60.0 * LEAST(1.0, GREATEST(0.0, ((${total}) - (${failed}))::float8 / (${total})))
    + 20.0 * LEAST(1.0, GREATEST(0.0, 1.0 - GREATEST(0.0, EXTRACT(EPOCH FROM (${now}) - (${lastSyncAt}))) / 86400.0))
    + 20.0 * (1.0 - LEAST(1.0, GREATEST(0.0, (${conflicts})::float8 / (${total}))))))::float8 END)`;
}

/** healthScoreSqlOf over a sync_device_health row aliased `alias`. */
export function healthScoreSql(alias: string, now: string): string {
  return healthScoreSqlOf(
    `${alias}.total_syncs`,
    `${alias}.failed_syncs_count`,
    `${alias}.conflicts_encountered`,
    `${alias}.last_sync_at`,
    now,
  );
}

export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
