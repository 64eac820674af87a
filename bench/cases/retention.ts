import { Pool } from 'pg';
import {
  DROP_CONCURRENCY,
  DROP_LOCK_TIMEOUT,
  dropInGroups,
  partitionName,
  utcDay,
} from '../../src/database/time-partitions';
import { seedRecords, deviceClient } from '../lib/seed';
import { nowMs, percentile, round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';

const DAY_MS = 86_400_000;
const DAYS = 90;
/** Days before today of the oldest seeded partition's successor: partitions 91..180 days old are past retention. */
const FIRST_OLD_DAY = 91;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** 90 daily partitions past the retention, `perDay` sync_event rows in each. */
async function seedOldDays(pool: Pool, tenant: string, perDay: number): Promise<string[]> {
  const today = utcDay(new Date()).getTime();
  const names: string[] = [];
  for (let i = FIRST_OLD_DAY; i < FIRST_OLD_DAY + DAYS; i++) {
    const day = new Date(today - i * DAY_MS);
    const name = partitionName('sync_event', day);
    names.push(name);
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF sync_event
       FOR VALUES FROM ('${day.toISOString()}') TO ('${new Date(day.getTime() + DAY_MS).toISOString()}')`,
    );
  }
  await pool.query(
    `INSERT INTO sync_event (tenant_id, occurred_at, kind, device_id, user_id, success, duration_ms, items)
     SELECT $1, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                - ((${FIRST_OLD_DAY} + g % ${DAYS}) * interval '1 day') + (g % 86000) * interval '1 second',
            'push', 'dev-' || (g % 40), 'user-' || (g % 10), true, 1 + g % 2000, 1 + g % 100
     FROM generate_series(0, $2 - 1) g`,
    [tenant, perDay * DAYS],
  );
  return names;
}

/**
 * What RetentionService.runRetention does: groups of 10 partitions, one transaction and one DROP statement each,
 * DROP_CONCURRENCY transactions at once (the same dropInGroups).
 */
async function dropAll(pool: Pool, names: string[]): Promise<void> {
  await dropInGroups(names, DROP_CONCURRENCY, async (group) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
      await client.query(`DROP TABLE IF EXISTS ${group.join(', ')}`);
      await client.query('COMMIT');
      return true;
    } finally {
      client.release();
    }
  });
}

/** The retention before partitions: one DELETE of the same rows. */
async function deleteAll(pool: Pool): Promise<void> {
  await pool.query(`DELETE FROM sync_event WHERE occurred_at < now() - interval '${DAYS} days'`);
}

/**
 * While `work` runs: pushes of 20 items from 4 devices (their sync_event rows are written after the response) and
 * a loop of single-row sync_event INSERTs on its own connection (what the recorder does), latencies kept.
 */
async function underLoad(
  ctx: BenchContext,
  tenant: string,
  pool: Pool,
  work: () => Promise<void>,
  minMs: number,
): Promise<{ workMs: number; pushes: number[]; inserts: number[] }> {
  const clients = await Promise.all(
    Array.from({ length: 4 }, (_u, i) => deviceClient(ctx.app, tenant, `tech-${i}`, `ret-${i}`)),
  );
  const pushes: number[] = [];
  const inserts: number[] = [];
  let running = true;
  const pushLoop = async (i: number): Promise<void> => {
    while (running) {
      const started = nowMs();
      await seedRecords(clients[i], 20, { tag: `ret${i}${Math.random().toString(36).slice(2, 8)}` });
      pushes.push(nowMs() - started);
    }
  };
  const insertLoop = async (): Promise<void> => {
    while (running) {
      const started = nowMs();
      await pool.query(`INSERT INTO sync_event (tenant_id, kind, success, duration_ms) VALUES ($1, 'push', true, 1)`, [
        tenant,
      ]);
      inserts.push(nowMs() - started);
    }
  };
  const loops = [...clients.map((_c, i) => pushLoop(i)), insertLoop()];
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = nowMs();
  await work();
  const workMs = nowMs() - started;
  const rest = minMs - workMs;
  if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  running = false;
  await Promise.all(loops);
  for (const client of clients) client.close();
  return { workMs, pushes, inserts };
}

export const retentionCase: BenchCase = {
  id: 'retention',
  title: '11. Retention of 90 days of sync_event: partition drop vs DELETE, pushes running',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const perDay = ctx.quick ? 1_000 : 10_000;
    const runs = ctx.quick ? 3 : 5;
    const tenant = await ctx.app.createTenant('bench-retention');
    const pool = new Pool({ connectionString: ctx.dbUrl, max: 5 });
    const drop: number[] = [];
    const del: number[] = [];
    const p95: Record<'drop' | 'delete' | 'idle', number[]> = { drop: [], delete: [], idle: [] };
    const insertMax: Record<'drop' | 'delete' | 'idle', number[]> = { drop: [], delete: [], idle: [] };
    try {
      for (let run = 0; run < runs; run++) {
        ctx.log(`retention: run ${run + 1}/${runs}, seeding ${perDay * DAYS} rows over ${DAYS} partitions`);
        let names = await seedOldDays(pool, tenant, perDay);
        const dropped = await underLoad(ctx, tenant, pool, () => dropAll(pool, names), 1500);
        drop.push(dropped.workMs);
        names = await seedOldDays(pool, tenant, perDay);
        await pool.query('ANALYZE sync_event');
        const deleted = await underLoad(ctx, tenant, pool, () => deleteAll(pool), 1500);
        del.push(deleted.workMs);
        await dropAll(pool, names);
        const idle = await underLoad(ctx, tenant, pool, async () => undefined, 1500);
        for (const [key, figures] of [
          ['drop', dropped],
          ['delete', deleted],
          ['idle', idle],
        ] as const) {
          p95[key].push(percentile(figures.pushes, 95));
          insertMax[key].push(Math.max(...figures.inserts));
        }
      }
    } finally {
      await pool.end();
    }
    const dropMs = median(drop);
    const deleteMs = median(del);
    result.metrics.push(
      { name: `rows past retention (${DAYS} partitions × ${perDay})`, value: perDay * DAYS },
      {
        name: `partition drop, median of ${runs} (runs: ${drop.map((v) => round(v, 0)).join(', ')})`,
        value: round(dropMs, 1),
        unit: 'ms',
      },
      {
        name: `DELETE baseline, median (runs: ${del.map((v) => round(v, 0)).join(', ')})`,
        value: round(deleteMs, 1),
        unit: 'ms',
      },
      { name: 'push p95 (20 items, 4 devices) during the drop, median', value: round(median(p95.drop), 1), unit: 'ms' },
      { name: 'push p95 during the DELETE, median', value: round(median(p95.delete), 1), unit: 'ms' },
      { name: 'push p95 without retention, median', value: round(median(p95.idle), 1), unit: 'ms' },
      {
        name: 'slowest sync_event INSERT during the drop, median',
        value: round(median(insertMax.drop), 1),
        unit: 'ms',
      },
      {
        name: 'slowest sync_event INSERT during the DELETE, median',
        value: round(median(insertMax.delete), 1),
        unit: 'ms',
      },
      {
        name: 'slowest sync_event INSERT without retention, median',
        value: round(median(insertMax.idle), 1),
        unit: 'ms',
      },
    );
    result.ratios.push(
      { name: 'partition drop time, target < 1000 ms', value: round(dropMs, 0), max: 1000 },
      { name: 'drop / DELETE (time)', value: round(dropMs / deleteMs, 3) },
      {
        name: 'push p95 during drop / without, target <= 1.5',
        value: round(median(p95.drop) / median(p95.idle), 2),
        max: 1.5,
      },
    );
    result.notes.push(
      'The drop runs the statements RetentionService runs (10 partitions per transaction in one DROP TABLE, lock_timeout 2s, 3 transactions at once); the baseline is the former retention, one DELETE of the same rows. Pushes and a single-row sync_event INSERT loop run throughout each phase (at least 1.5 s).',
    );
  },
};
