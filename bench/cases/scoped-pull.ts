import { Pool } from 'pg';
import type { AppServer } from '../lib/app-server';
import { HttpClient } from '../lib/http';
import { nowMs, round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';

const PAGE = 500;
const IN_SCOPE = 2_000;
/** Timed pulls per tenant, alternating small and big: one pull is ~100 ms, so a few runs are noise-bound. */
const RUNS = 11;

/**
 * Seeds `total` work orders with their scope keys in set-based SQL: record i belongs to technician `tech-(i % 500)`
 * and site `i % 50`, so `tech-0` holds every 500th record, spread over the whole change order.
 */
async function seed(pool: Pool, tenantId: string, total: number, stride: number): Promise<void> {
  await pool.query(
    `INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, deleted, change_seq, updated_at, updated_by_user)
     SELECT $1::bigint, 'work_order', md5($1::text || ':' || i)::uuid, 1,
            jsonb_build_object('people', 'tech-' || (i * $3 % 500), 'bu', i % 50, 'title', 'Work order ' || i,
                               'status', 'open', 'priority', 'medium'),
            false, nextval('sync_change_seq'), now(), 'admin'
     FROM generate_series(0, $2::int - 1) AS i`,
    [tenantId, total, stride],
  );
  await pool.query(
    `INSERT INTO record_scope (tenant_id, domain, mobile_id, scope_key, created_by)
     SELECT r.tenant_id, r.domain, r.mobile_id, k.key, 'admin'
     FROM sync_record r
     CROSS JOIN LATERAL (VALUES ('u:' || (r.data->>'people')), ('g:site:' || (r.data->>'bu') || ':supervisor'),
                                ('u:admin')) AS k(key)
     WHERE r.tenant_id = $1`,
    [tenantId],
  );
  await pool.query(
    `INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
     SELECT s.tenant_id, s.scope_key, r.change_seq, s.domain, s.mobile_id, 'add', 'changed'
     FROM record_scope s JOIN sync_record r USING (tenant_id, domain, mobile_id)
     WHERE s.tenant_id = $1`,
    [tenantId],
  );
  // As autovacuum would have left a tenant that has existed for a while: statistics and the visibility map set (the
  // log merge's index-only scans then skip the heap).
  for (const table of ['sync_record', 'record_scope', 'scope_change']) await pool.query(`VACUUM (ANALYZE) ${table}`);
}

async function fullPull(client: HttpClient): Promise<{ records: number; ms: number }> {
  let cursor: string | null = null;
  let records = 0;
  const started = nowMs();
  for (;;) {
    const response = await client.send(
      'GET',
      `/api/v1/sync/pull?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`,
      undefined,
      {},
    );
    if (response.status !== 200) throw new Error(`pull: HTTP ${response.status} ${response.body.toString()}`);
    const page = JSON.parse(response.body.toString('utf8')) as {
      changes: unknown[];
      next_cursor: string;
      has_more: boolean;
    };
    records += page.changes.length;
    cursor = page.next_cursor;
    if (!page.has_more) break;
  }
  return { records, ms: nowMs() - started };
}

async function technician(app: AppServer, tenantId: string): Promise<HttpClient> {
  const admin = new HttpClient(app.url, { authorization: `Bearer ${await app.token(tenantId, 'admin', 'admin')}` });
  const put = await admin.send(
    'PUT',
    '/api/v1/users/tech-0',
    JSON.stringify({ memberships: [{ group: 'site:0', role: 'member' }] }),
    { 'content-type': 'application/json' },
  );
  if (put.status !== 200) throw new Error(`user: HTTP ${put.status} ${put.body.toString()}`);
  admin.close();
  const token = await app.token(tenantId, 'tech-0', 'sync');
  return new HttpClient(app.url, { authorization: `Bearer ${token}`, 'x-device-id': 'tech-0-phone' });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const scopedPullCase: BenchCase = {
  id: 'scoped-pull',
  title: "3. Scoped pull: a technician's full pull (2,000 records in scope), big tenant vs small tenant",
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const bigTotal = ctx.quick ? 100_000 : 1_000_000;
    const pool = new Pool({ connectionString: ctx.dbUrl, max: 1 });
    try {
      const big = await ctx.app.createTenant('bench-scoped-big');
      const small = await ctx.app.createTenant('bench-scoped-small');
      const seeded = nowMs();
      // Big: tech-0 holds every 500th record. Small: only tech-0's records (stride 500 keeps people = tech-0).
      await seed(pool, big, bigTotal, 1);
      await seed(pool, small, IN_SCOPE, 500);
      ctx.log(`scoped-pull: seeded ${bigTotal} + ${IN_SCOPE} records in ${Math.round((nowMs() - seeded) / 1000)} s`);
      const clients = { big: await technician(ctx.app, big), small: await technician(ctx.app, small) };
      const times: Record<'big' | 'small', number[]> = { big: [], small: [] };
      const counts: Record<'big' | 'small', number> = { big: 0, small: 0 };
      await fullPull(clients.big);
      await fullPull(clients.small);
      for (let run = 0; run < RUNS; run++) {
        for (const which of ['small', 'big'] as const) {
          const pull = await fullPull(clients[which]);
          times[which].push(pull.ms);
          counts[which] = pull.records;
        }
      }
      const plan = await pool.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
         SELECT DISTINCT ON (c.change_seq) c.change_seq FROM unnest($2::text[]) AS k(scope_key)
         CROSS JOIN LATERAL (SELECT x.change_seq FROM scope_change x
           WHERE x.tenant_id = $1 AND x.scope_key = k.scope_key AND x.change_seq > 0
           ORDER BY x.change_seq LIMIT 501) c ORDER BY c.change_seq LIMIT 501`,
        [big, ['u:tech-0', 'g:site:0:member']],
      );
      const planText = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
      for (const client of Object.values(clients)) client.close();
      result.metrics.push(
        { name: `big tenant (${bigTotal} records): records pulled`, value: counts.big },
        { name: `small tenant (${IN_SCOPE} records): records pulled`, value: counts.small },
        { name: 'big tenant: full pull median', value: round(median(times.big), 1), unit: 'ms' },
        { name: 'small tenant: full pull median', value: round(median(times.small), 1), unit: 'ms' },
        { name: 'big tenant: runs', value: times.big.map((ms) => Math.round(ms)).join(', '), unit: 'ms' },
        { name: 'small tenant: runs', value: times.small.map((ms) => Math.round(ms)).join(', '), unit: 'ms' },
      );
      result.ratios.push({
        name: 'scoped pull big/small tenant (median time)',
        value: round(median(times.big) / median(times.small), 3),
        max: 1.2,
      });
      result.notes.push(
        `pages of ${PAGE}, ${RUNS} runs after one warm-up each, medians; plan of the log merge: ` +
          (/Seq Scan/.test(planText) ? 'WARNING: a sequential scan' : 'index scans only'),
      );
      ctx.log(planText);
    } finally {
      await pool.end();
    }
  },
};
