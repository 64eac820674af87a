import { Pool } from 'pg';
import { holdsAnyKeySql } from '../../src/modules/scope/scope-index.repository';
import { deviceClient } from '../lib/seed';
import { RssSampler } from '../lib/rss';
import { mb, nowMs, percentile, round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';

const PAGE = 1000;
const RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Set-based seed straight into sync_record: `count` live records (tombstones: deleted and 10 days old). */
async function seedRows(pool: Pool, tenantId: string, count: number, tombstones: boolean): Promise<void> {
  await pool.query(
    `INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, deleted, change_seq, updated_at)
     SELECT $1, (ARRAY['task', 'task', 'ticket', 'work_order'])[1 + i % 4], gen_random_uuid(), 1,
            CASE WHEN $3 THEN '{}'::jsonb ELSE jsonb_build_object(
              'jobdesc', 'Fire extinguisher check - Floor ' || i, 'identifier', 'TASK', 'jobtype', 'SCHEDULE',
              'jobstatus', (ARRAY['ASSIGNED', 'INPROGRESS', 'COMPLETED'])[1 + i % 3],
              'status', (ARRAY['OPEN', 'CLOSED'])[1 + i % 2], 'workstatus', (ARRAY['INPROGRESS', 'CLOSED'])[1 + i % 2],
              'priority', 'HIGH', 'scantype', 'QR', 'plandatetime', '2025-09-28T10:00:00+05:30',
              'gpslocation', 'SRID=4326;POINT (77.624431 12.935322)', 'remarks', repeat('x', 120),
              'job', i, 'location', 640, 'asset', 21877, 'qset', 312) END,
            $3, nextval('sync_change_seq'), CASE WHEN $3 THEN now() - interval '10 days' ELSE now() END
     FROM generate_series(1, $2) AS i`,
    [tenantId, count, tombstones],
  );
  await pool.query('ANALYZE sync_record');
}

/**
 * Gives every live record of the tenant the scope key `key` (record_scope, and its scope_change log like a push
 * writes it), set-based as in scoped-pull.ts: a sync user holding `key` has the whole tenant in scope.
 */
async function seedScope(pool: Pool, tenantId: string, key: string): Promise<void> {
  await pool.query(
    `INSERT INTO record_scope (tenant_id, domain, mobile_id, scope_key, created_by)
     SELECT tenant_id, domain, mobile_id, $2, 'admin' FROM sync_record WHERE tenant_id = $1 AND NOT deleted`,
    [tenantId, key],
  );
  await pool.query(
    `INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
     SELECT r.tenant_id, s.scope_key, r.change_seq, s.domain, s.mobile_id, 'add', 'changed'
     FROM record_scope s JOIN sync_record r USING (tenant_id, domain, mobile_id)
     WHERE s.tenant_id = $1`,
    [tenantId],
  );
  await pool.query('ANALYZE record_scope; ANALYZE scope_change');
}

/**
 * The same rows as one bare keyset walk over change_seq, pages of PAGE, rows decoded by pg, no HTTP. `scoped`
 * adds the caller's scope test (the snapshot's own SQL: a probe of record_scope per row); without it the
 * walk reads sync_record alone, the stricter floor (every seeded record is in the technician's scope).
 */
async function floorWalk(pool: Pool, tenantId: string, key: string | null): Promise<number> {
  let after = '0';
  let records = 0;
  const started = nowMs();
  for (;;) {
    const { rows } = await pool.query<{ change_seq: string }>(
      `SELECT domain, mobile_id, version, deleted, data, updated_at, change_seq FROM sync_record r
       WHERE tenant_id = $1 AND NOT deleted AND change_seq > $2
         AND ${holdsAnyKeySql('r', '$4')}
       ORDER BY change_seq LIMIT $3`,
      [tenantId, after, PAGE + 1, key === null ? null : [key]],
    );
    const page = rows.slice(0, PAGE);
    records += page.length;
    if (rows.length <= PAGE) break;
    after = page[page.length - 1].change_seq;
  }
  return records / ((nowMs() - started) / 1000);
}

async function firstSync(ctx: BenchContext, pool: Pool, result: CaseResult): Promise<void> {
  const total = ctx.quick ? 10_000 : 100_000;
  const tenant = await ctx.app.createTenant('bench-snapshot');
  ctx.log(`resync: seeding ${total} records (generate_series)`);
  await seedRows(pool, tenant, total, false);
  // The technician is in no directory entry: their scope is their user key, which every seeded record holds.
  await seedScope(pool, tenant, 'u:tech');
  const phone = await deviceClient(ctx.app, tenant, 'tech', 'new-phone');
  const ours: number[] = [];
  const floor: number[] = [];
  const scopedFloor: number[] = [];
  let peakRss = 0;
  try {
    for (let run = 0; run < RUNS; run++) {
      floor.push(await floorWalk(pool, tenant, null));
      scopedFloor.push(await floorWalk(pool, tenant, 'u:tech'));
      const rss = new RssSampler(ctx.app.pid, 50);
      let cursor: string | null = null;
      let records = 0;
      const started = nowMs();
      for (;;) {
        const response = await phone.send(
          'GET',
          `/api/v1/sync/snapshot?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        if (response.status !== 200) throw new Error(`snapshot: HTTP ${response.status}`);
        const page = JSON.parse(response.body.toString('utf8')) as {
          changes: unknown[];
          next_cursor: string;
          has_more: boolean;
        };
        records += page.changes.length;
        cursor = page.next_cursor;
        if (!page.has_more) break;
      }
      ours.push(records / ((nowMs() - started) / 1000));
      peakRss = Math.max(peakRss, rss.stop() ?? 0);
      if (records !== total) result.notes.push(`WARNING: the snapshot returned ${records} records, expected ${total}`);
    }
  } finally {
    phone.close();
  }
  result.metrics.push(
    { name: `first sync of ${total}: ours snapshot, records/s (median of ${RUNS})`, value: Math.round(median(ours)) },
    { name: 'first sync: bare keyset SELECT, records/s (median)', value: Math.round(median(floor)) },
    {
      name: 'first sync: keyset SELECT with the scope probe, records/s (median)',
      value: Math.round(median(scopedFloor)),
    },
    { name: 'first sync: server peak RSS', value: mb(peakRss), unit: 'MB' },
    {
      name: 'first sync: runs ours / floor',
      value: `${ours.map(Math.round).join(', ')} / ${floor.map(Math.round).join(', ')}`,
    },
  );
  result.ratios.push(
    { name: 'snapshot ours/bare keyset (records/s)', value: round(median(ours) / median(floor), 3), min: 0.5 },
    { name: 'snapshot ours/keyset with scope probe (records/s)', value: round(median(ours) / median(scopedFloor), 3) },
    { name: 'snapshot server peak RSS (MB) / 300', value: round(mb(peakRss) / 300, 3), max: 1 },
  );
}

/** Pushes of 20 new records, one after another from 4 devices, for `ms`; their latencies. */
async function pushLoad(ctx: BenchContext, tenant: string, ms: number, until?: Promise<unknown>): Promise<number[]> {
  const clients = await Promise.all([0, 1, 2, 3].map((d) => deviceClient(ctx.app, tenant, `u${d}`, `pusher-${d}`)));
  const latencies: number[] = [];
  let done = false;
  const stop = setTimeout(() => (done = true), ms);
  void until?.then(() => (done = true));
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (!done) {
          const items = Array.from({ length: 20 }, (_unused, i) => ({
            client_mutation_id: `b-${Math.random().toString(36).slice(2)}-${i}`,
            domain: 'task',
            mobile_id: crypto.randomUUID(),
            base_version: 0,
            data: { jobdesc: 'bench push', jobstatus: 'ASSIGNED' },
            client_updated_at: new Date().toISOString(),
          }));
          const started = nowMs();
          const response = await client.send('POST', '/api/v1/sync/push', JSON.stringify({ items }));
          if (response.status !== 200) throw new Error(`push: HTTP ${response.status}`);
          latencies.push(nowMs() - started);
        }
      }),
    );
  } finally {
    clearTimeout(stop);
    for (const client of clients) client.close();
  }
  return latencies;
}

async function purgeUnderLoad(ctx: BenchContext, pool: Pool, result: CaseResult): Promise<void> {
  const total = ctx.quick ? 100_000 : 1_000_000;
  const baseline: number[] = [];
  const during: number[] = [];
  const purgeSeconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const tenant = await ctx.app.createTenant(`bench-purge-${run}`);
    ctx.log(`resync: run ${run + 1}, seeding ${total} tombstones (generate_series)`);
    await seedRows(pool, tenant, total, true);
    const quiet = await pushLoad(ctx, tenant, ctx.quick ? 3000 : 8000);
    baseline.push(percentile(quiet, 95));
    const started = nowMs();
    const purge = ctx.app.call({ op: 'purge' });
    const busy = await pushLoad(ctx, tenant, 10 * 60_000, purge);
    await purge;
    purgeSeconds.push((nowMs() - started) / 1000);
    during.push(percentile(busy, 95));
    const left = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sync_record WHERE tenant_id = $1 AND deleted`,
      [tenant],
    );
    if (left.rows[0].n !== 0) result.notes.push(`WARNING: ${left.rows[0].n} tombstones left after run ${run + 1}`);
  }
  result.metrics.push(
    { name: `purge of ${total} tombstones: seconds (median of ${RUNS})`, value: round(median(purgeSeconds), 1) },
    { name: 'push p95 without a purge, ms (median)', value: round(median(baseline), 1) },
    { name: 'push p95 during the purge, ms (median)', value: round(median(during), 1) },
    {
      name: 'push p95 runs without / during',
      value: `${baseline.map((v) => round(v, 1)).join(', ')} / ${during.map((v) => round(v, 1)).join(', ')}`,
    },
  );
  result.ratios.push({
    name: 'push p95 during purge / without',
    value: round(median(during) / median(baseline), 3),
    max: 1.3,
  });
}

export const resyncCase: BenchCase = {
  id: 'resync',
  title: '7. Resync: first sync through the snapshot; purge of tombstones while pushes go on',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const pool = new Pool({ connectionString: ctx.dbUrl, max: 1 });
    try {
      await firstSync(ctx, pool, result);
      await purgeUnderLoad(ctx, pool, result);
      result.notes.push(
        `Pages of ${PAGE}; ${RUNS} runs each, medians; pushes: 4 devices × 20 new records, back to back; ` +
          'the seed is set-based (generate_series) straight into sync_record; PURGE_BATCH_SIZE default.',
      );
    } finally {
      await pool.end();
    }
  },
};
