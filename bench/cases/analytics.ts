import { Pool } from 'pg';
import { HttpClient } from '../lib/http';
import { nowMs, round } from '../lib/stats';
import { BenchCase, BenchContext, CaseResult, SkipCase } from '../lib/types';

interface Column {
  column_name: string;
  data_type: string;
  column_default: string | null;
  is_nullable: string;
}

/** A generated SQL value for one column of the events table, by name and type. */
function generated(column: Column, tenant: string): string | undefined {
  const name = column.column_name;
  if (name === 'tenant_id') return `'${tenant}'`;
  if (column.column_default !== null) return undefined;
  if (/device/.test(name)) return `'device-' || (g % 500)`;
  if (/user/.test(name)) return `'user-' || (g % 200)`;
  if (name === 'domain') return `(ARRAY['task','ticket','work_order','journal','attendance'])[1 + g % 5]`;
  switch (column.data_type) {
    case 'integer':
    case 'bigint':
    case 'smallint':
      return `(g % 97)`;
    case 'double precision':
    case 'real':
    case 'numeric':
      return `((g % 977) * 1.7)`;
    case 'boolean':
      return `(g % 10 <> 0)`;
    case 'timestamp with time zone':
    case 'timestamp without time zone':
      return `now() - ((g % 3000) || ' seconds')::interval`;
    case 'jsonb':
    case 'json':
      return `'{}'`;
    case 'uuid':
      return 'gen_random_uuid()';
    default:
      return column.is_nullable === 'YES' ? undefined : `'push'`;
  }
}

export const analyticsCase: BenchCase = {
  id: 'analytics',
  title: '4. Analytics: snapshot over the events of the window vs one bare SQL aggregate',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const tenant = await ctx.app.createTenant('bench-analytics');
    const admin = new HttpClient(ctx.app.url, {
      authorization: `Bearer ${await ctx.app.token(tenant, 'admin', 'admin')}`,
    });
    const pool = new Pool({ connectionString: ctx.dbUrl, max: 1 });
    try {
      const probe = await admin.send('GET', '/api/sync/dashboard/');
      if (probe.status === 404)
        throw new SkipCase('module not present (AnalyticsModule: GET /api/sync/dashboard/ is 404)');
      const { rows: tables } = await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name ~ '^sync_(event|log)'
         ORDER BY table_name`,
      );
      const table = tables[0]?.table_name;
      if (!table) throw new SkipCase('module present but no sync_event*/sync_log* table to seed was found');
      const { rows: columns } = await pool.query<Column>(
        `SELECT column_name, data_type, column_default, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      );
      const values = columns
        .map((column) => [column.column_name, generated(column, tenant)] as const)
        .filter(([, v]) => v);
      const events = ctx.quick ? 100_000 : 1_000_000;
      ctx.log(`analytics: seeding ${events} rows into ${table}`);
      await pool.query(
        `INSERT INTO ${table} (${values.map(([name]) => `"${name}"`).join(', ')})
         SELECT ${values.map(([, value]) => value).join(', ')} FROM generate_series(1, ${events}) g`,
      );
      await pool.query(`ANALYZE ${table}`);
      const duration = columns.find((column) => /duration/.test(column.column_name))?.column_name;
      const time = columns.find((column) =>
        /^(created_at|occurred_at|recorded_at|timestamp|at)$/.test(column.column_name),
      )?.column_name;
      const started = nowMs();
      const created = await admin.send('POST', '/api/sync/snapshot/create/', JSON.stringify({ time_window_hours: 1 }));
      const snapshotMs = nowMs() - started;
      if (created.status !== 201)
        throw new Error(`snapshot: HTTP ${created.status} ${created.body.toString().slice(0, 300)}`);
      const bareStarted = nowMs();
      await pool.query(
        `SELECT count(*), count(DISTINCT ${columns.some((c) => c.column_name === 'device_id') ? 'device_id' : '1'})
                ${duration ? `, avg("${duration}"), percentile_cont(0.95) WITHIN GROUP (ORDER BY "${duration}")` : ''}
         FROM ${table} WHERE tenant_id = $1 ${time ? `AND "${time}" > now() - interval '1 hour'` : ''}`,
        [tenant],
      );
      const bareMs = nowMs() - bareStarted;
      const dashStarted = nowMs();
      const dashboard = await admin.send('GET', '/api/sync/dashboard/');
      const dashboardMs = nowMs() - dashStarted;
      result.metrics.push(
        { name: `events in the window (${table})`, value: events },
        { name: 'floor: one bare SQL aggregate', value: round(bareMs, 1), unit: 'ms' },
        { name: 'ours: POST /api/sync/snapshot/create/', value: round(snapshotMs, 1), unit: 'ms' },
        { name: `ours: GET /api/sync/dashboard/ (HTTP ${dashboard.status})`, value: round(dashboardMs, 1), unit: 'ms' },
      );
      result.ratios.push({
        name: 'snapshot ours/bare SQL (time), target <= 1.5',
        value: round(snapshotMs / bareMs, 2),
        max: 1.5,
      });
      result.notes.push(
        'Events are seeded by introspecting the events table; the bare aggregate is count, distinct devices, avg and p95 of the duration.',
      );
    } finally {
      admin.close();
      await pool.end();
    }
  },
};
