import { Pool } from 'pg';
import { HttpClient } from '../lib/http';
import { nowMs, round } from '../lib/stats';
import { BenchCase, BenchContext, CaseResult, SkipCase } from '../lib/types';

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
      const table = 'sync_event';
      const events = ctx.quick ? 100_000 : 1_000_000;
      ctx.log(`analytics: seeding ${events} rows into ${table}`);
      // Events spread over the last hour: 95 % successful, 1..2000 ms, 1..100 items, some conflicts, 40 devices.
      await pool.query(
        `INSERT INTO sync_event (tenant_id, occurred_at, kind, device_id, user_id, success, duration_ms, items, conflicts,
                                 auto_resolved, manual, bytes_raw, bytes_sent, bytes_saved_delta, network_type,
                                 domain_counts)
         SELECT $1, now() - (g % 3500) * interval '1 second', (ARRAY['push','pull','partial'])[1 + g % 3],
                'dev-' || (g % 40), 'user-' || (g % 10), g % 20 <> 0, 1 + (g % 2000), 1 + (g % 100), g % 7, g % 7, 0,
                10000 + g % 5000, 2000 + g % 1000, g % 300, (ARRAY['wifi','4g','3g','2g'])[1 + g % 4],
                jsonb_build_object((ARRAY['task','ticket','journal'])[1 + g % 3],
                  jsonb_build_object('items', 1 + (g % 100), 'conflicts', g % 7, 'auto_resolved', g % 7, 'manual', 0))
         FROM generate_series(1, ${events}) g`,
        [tenant],
      );
      await pool.query(`ANALYZE ${table}`);
      const snapshot = async (): Promise<number> => {
        const started = nowMs();
        const created = await admin.send(
          'POST',
          '/api/sync/snapshot/create/',
          JSON.stringify({ time_window_hours: 1 }),
        );
        if (created.status !== 201)
          throw new Error(`snapshot: HTTP ${created.status} ${created.body.toString().slice(0, 300)}`);
        return nowMs() - started;
      };
      // The floor computes exactly the snapshot's aggregate (the same SELECT as SnapshotRepository.createFromEvents)
      // as one bare query: no HTTP, no auth, no insert, no alert evaluation.
      const bare = async (): Promise<number> => {
        const started = nowMs();
        await pool.query(
          `WITH e AS (SELECT * FROM sync_event WHERE tenant_id = $1 AND occurred_at >= now() - interval '1 hour'),
                d AS (SELECT c.key AS domain,
                             sum(COALESCE((c.value->>'items')::bigint, 0)) AS items,
                             sum(COALESCE((c.value->>'conflicts')::bigint, 0)) AS conflicts,
                             sum(COALESCE((c.value->>'auto_resolved')::bigint, 0)) AS auto_resolved,
                             sum(COALESCE((c.value->>'manual')::bigint, 0)) AS manual
                      FROM e, jsonb_each(e.domain_counts) AS c GROUP BY c.key)
           SELECT count(*), count(*) FILTER (WHERE success), avg(duration_ms),
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms), sum(items),
                  sum(items) FILTER (WHERE kind = 'push'), sum(conflicts), sum(auto_resolved), sum(manual),
                  sum(bytes_raw), sum(bytes_sent), sum(bytes_saved_delta), count(DISTINCT device_id),
                  count(DISTINCT user_id),
                  (SELECT jsonb_object_agg(domain, jsonb_build_object('items', items, 'conflicts', conflicts,
                                           'auto_resolved', auto_resolved, 'manual', manual)) FROM d)
           FROM e`,
          [tenant],
        );
        return nowMs() - started;
      };
      // Warm both once, then alternate three times and compare medians (each snapshot is a new trailing window).
      await bare();
      await snapshot();
      const ours: number[] = [];
      const floor: number[] = [];
      for (let run = 0; run < 3; run++) {
        ours.push(await snapshot());
        floor.push(await bare());
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const snapshotMs = median(ours);
      const bareMs = median(floor);
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
