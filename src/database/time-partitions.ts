import { DAY_MS } from '../common/time/instant';
import { Queryable, sql } from './sql';

/**
 * Daily range partitions of a table partitioned by a timestamptz column (PARTITION BY RANGE), named
 * `<table>_pYYYYMMDD` and covering [day 00:00 UTC, next day 00:00 UTC), plus `<table>_default` as a safety net for
 * rows outside every partition. Plain SQL that PostgreSQL and the embedded database (PGlite, PostgreSQL 17) both run.
 */
export interface TimePartitionedTable {
  table: string;
  column: string;
}

/** The UTC day a timestamp falls in, as a Date at 00:00 UTC. */
export function utcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

export function partitionName(table: string, day: Date): string {
  return `${table}_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** The day a partition name stands for, or null for the default partition and foreign names. */
export function partitionDay(table: string, name: string): Date | null {
  const match = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  return match ? new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00.000Z`) : null;
}

/** The partitions attached to a table, oldest first (default partition excluded). */
export async function listPartitions(
  db: Queryable,
  target: TimePartitionedTable,
): Promise<Array<{ name: string; day: Date }>> {
  const rows = await sql<{ name: string }>(
    db,
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`,
    [target.table],
  );
  return rows.flatMap((row) => {
    const day = partitionDay(target.table, row.name);
    return day ? [{ name: row.name, day }] : [];
  });
}

/**
 * Creates the daily partition of `day` when missing. Rows of that day already in the default partition are moved
 * into the new partition first (PostgreSQL refuses to create a partition whose rows sit in the default one).
 */
export async function createDayPartition(db: Queryable, target: TimePartitionedTable, day: Date): Promise<boolean> {
  const name = partitionName(target.table, day);
  const exists = await sql<{ oid: string | null }>(db, `SELECT to_regclass($1)::text AS oid`, [name]);
  if (exists[0]?.oid) return false;
  const from = day.toISOString();
  const to = new Date(day.getTime() + DAY_MS).toISOString();
  const bounds = `FOR VALUES FROM ('${from}') TO ('${to}')`;
  const fallback = `${target.table}_default`;
  const stray = await sql<{ n: number }>(
    db,
    `SELECT count(*)::int AS n FROM ${fallback} WHERE ${target.column} >= $1 AND ${target.column} < $2`,
    [from, to],
  ).catch(() => [{ n: 0 }]);
  if ((stray[0]?.n ?? 0) === 0) {
    await sql(db, `CREATE TABLE ${name} PARTITION OF ${target.table} ${bounds}`);
    return true;
  }
  await sql(db, `CREATE TABLE ${name} (LIKE ${target.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await sql(
    db,
    `WITH moved AS (DELETE FROM ${fallback} WHERE ${target.column} >= $1 AND ${target.column} < $2 RETURNING *)
     INSERT INTO ${name} SELECT * FROM moved`,
    [from, to],
  );
  await sql(db, `ALTER TABLE ${target.table} ATTACH PARTITION ${name} ${bounds}`);
  return true;
}

/** Creates the partitions of today and of the next `daysAhead` days; returns the names created. */
export async function ensurePartitions(
  db: Queryable,
  target: TimePartitionedTable,
  now: Date,
  daysAhead: number,
): Promise<string[]> {
  const created: string[] = [];
  const today = utcDay(now);
  for (let i = 0; i <= daysAhead; i++) {
    const day = new Date(today.getTime() + i * DAY_MS);
    if (await createDayPartition(db, target, day)) created.push(partitionName(target.table, day));
  }
  return created;
}

/** The partitions whose whole day lies before `cutoff` (their upper bound is at or before it). */
export async function partitionsBefore(
  db: Queryable,
  target: TimePartitionedTable,
  cutoff: Date,
): Promise<Array<{ name: string; day: Date }>> {
  return (await listPartitions(db, target)).filter((p) => p.day.getTime() + DAY_MS <= cutoff.getTime());
}

/** A DROP waits at most this long for a table's lock (a long report holding the parent), then fails; retried later. */
export const DROP_LOCK_TIMEOUT = '2s';

/** Drops partitions in one statement (one commit for all of them) under a lock timeout. */
export async function dropTables(db: Queryable, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await sql(db, `SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
  await sql(db, `DROP TABLE IF EXISTS ${names.join(', ')}`);
}
