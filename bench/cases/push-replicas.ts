import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppServer } from '../lib/app-server';
import { round } from '../lib/stats';
import { BenchCase, BenchContext, CaseResult, SkipCase } from '../lib/types';
import { buildWorkload, runMetrics, runOurs, RunFigures } from './push';

/** PostgreSQL connections on each side: one replica's own pool, or PgBouncer's pool shared by three replicas. */
const CONNECTIONS = 20;
const REPLICAS = 3;
const BOUNCER_PORT = 6433;
const START_SCRIPT = join(__dirname, '..', '..', 'scripts', 'pgbouncer', 'start.sh');

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * PgBouncer of its own for the case (transaction mode, pool of CONNECTIONS, no DISCARD ALL: production settings),
 * started by scripts/pgbouncer/start.sh unless BENCH_PGBOUNCER_URL names one. Returns the bench database through it
 * and how to stop what was started.
 */
async function bouncer(ctx: BenchContext): Promise<{ url: string; stop(): void }> {
  const viaBouncer = new URL(ctx.dbUrl);
  if (process.env.BENCH_PGBOUNCER_URL) {
    const given = new URL(process.env.BENCH_PGBOUNCER_URL);
    viaBouncer.host = given.host;
  } else {
    viaBouncer.hostname = '127.0.0.1';
    viaBouncer.port = String(BOUNCER_PORT);
  }
  const url = viaBouncer.toString();
  if (process.env.BENCH_PGBOUNCER_URL || (await answers(url))) return { url, stop: () => undefined };
  try {
    execFileSync(START_SCRIPT, ['--port', String(BOUNCER_PORT), '--pool-size', String(CONNECTIONS)], {
      stdio: 'ignore',
    });
  } catch {
    throw new SkipCase(`PgBouncer could not be started on port ${BOUNCER_PORT} (scripts/pgbouncer/start.sh)`);
  }
  return {
    url,
    stop: () => execFileSync(START_SCRIPT, ['--port', String(BOUNCER_PORT), '--stop'], { stdio: 'ignore' }),
  };
}

/** Runs the push workload on `count` fresh app processes started with `env`, then closes them. */
async function onApps(
  dbUrl: string,
  count: number,
  env: Record<string, string>,
  work: ReturnType<typeof buildWorkload>,
): Promise<RunFigures & { statuses: Record<string, number> }> {
  const apps = await Promise.all(Array.from({ length: count }, () => AppServer.start(dbUrl, { env })));
  try {
    return await runOurs(apps[0], work, undefined, undefined, apps.slice(1));
  } finally {
    await Promise.all(apps.map((app) => app.close()));
  }
}

export const pushReplicasCase: BenchCase = {
  id: 'push-replicas',
  title:
    `1c. Push through PgBouncer (transaction mode, pool of ${CONNECTIONS}) on ${REPLICAS} replicas vs one replica ` +
    `with a direct pool of ${CONNECTIONS} (8 devices, batches of 100, 20 % stale)`,
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const work = buildWorkload(ctx.quick ? 8_000 : 40_000);
    const pgbouncer = await bouncer(ctx);
    try {
      ctx.log(`push-replicas: ${work.total} items per run; PgBouncer at ${new URL(pgbouncer.url).host}`);
      const direct = await onApps(ctx.dbUrl, 1, { BENCH_DB_POOL_SIZE: String(CONNECTIONS) }, work);
      ctx.log(`push-replicas direct (1 replica): ${Math.round(direct.itemsPerSec)} items/s`);
      const pooled = await onApps(
        pgbouncer.url,
        REPLICAS,
        { BENCH_DB_POOL_SIZE: String(CONNECTIONS), BENCH_DATABASE_DIRECT_URL: ctx.dbUrl },
        work,
      );
      ctx.log(`push-replicas PgBouncer (${REPLICAS} replicas): ${Math.round(pooled.itemsPerSec)} items/s`);
      for (const [label, f] of [
        [`1 replica, direct pool of ${CONNECTIONS}`, direct],
        [`${REPLICAS} replicas through PgBouncer (pool of ${CONNECTIONS})`, pooled],
      ] as const) {
        result.metrics.push(...runMetrics(label, f));
      }
      result.ratios.push({
        name: `push ${REPLICAS} replicas via PgBouncer / 1 replica direct (items/s), target >= 0.9`,
        value: round(pooled.itemsPerSec / direct.itemsPerSec, 3),
        min: 0.9,
      });
      result.notes.push(
        `${work.total} items per run, every push answered 200 (any other answer fails the case). Both sides hold ` +
          `${CONNECTIONS} PostgreSQL connections: one app with DB_POOL_SIZE=${CONNECTIONS}, or ${REPLICAS} apps ` +
          `(DB_POOL_SIZE=${CONNECTIONS} each, towards PgBouncer) sharing PgBouncer's default_pool_size=${CONNECTIONS}. ` +
          'The direct run goes first: the PgBouncer run meets the larger tables, which only counts against it. All ' +
          'processes share the cores of one machine.',
      );
    } finally {
      pgbouncer.stop();
    }
  },
};
