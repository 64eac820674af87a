import type { DataSource } from 'typeorm';

/** Tables whose rows legitimately record requests, failed ones included (one sync_event per metered request). */
export const REQUEST_LOG_TABLES = ['sync_event', 'sync_device_health'];

/** Tables whose whole content is compared, not only their row count. */
const CHECKSUMMED = [
  'sync_record',
  'sync_record_revision',
  'sync_queue_item',
  'conflict_log',
  'conflict_policy',
  'tenant',
  'api_key',
  'notification_outbox',
  'sync_analytics_snapshot',
  'sync_alert',
];

export interface DbState {
  counts: Record<string, number>;
  checksums: Record<string, string>;
}

/** Row counts of every table and checksums of the data tables (request-log tables counted only). */
export async function dbState(db: DataSource): Promise<DbState> {
  const tables: Array<{ table_name: string }> = await db.query(
    // Partitioned tables count as one (their partitions are not listed on their own).
    `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
  );
  const counts: Record<string, number> = {};
  const checksums: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const [row] = await db.query(`SELECT count(*)::int AS n FROM "${table}"`);
    counts[table] = row.n;
    if (CHECKSUMMED.includes(table)) {
      const [sum] = await db.query(
        `SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS sum FROM "${table}" t`,
      );
      checksums[table] = sum.sum;
    }
  }
  return { counts, checksums };
}

/** The state without the request-log tables, for equality checks. */
export function dataState(state: DbState): DbState {
  const counts = Object.fromEntries(
    Object.entries(state.counts).filter(([table]) => !REQUEST_LOG_TABLES.includes(table)),
  );
  return { counts, checksums: state.checksums };
}
