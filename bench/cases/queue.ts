import { Pool } from 'pg';
import { HttpClient } from '../lib/http';
import { DRAIN_BATCH } from '../../src/modules/queue/queue-drain.policy';
import { deviceClient, seedRecords } from '../lib/seed';
import { nowMs, round, runWorkers } from '../lib/stats';
import { domainOf, recordFor } from '../lib/workload';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';

const DEVICES = 8;
const PARTIAL_BATCH = 100;

interface PartialResponse {
  synced_items: unknown[];
  remaining: number;
}

/** Enqueues `total` items spread over the devices (mode enqueue: stored, not processed). */
async function enqueue(
  ctx: BenchContext,
  label: string,
  total: number,
): Promise<{ tenant: string; clients: HttpClient[] }> {
  const tenant = await ctx.app.createTenant(`bench-queue-${label}`);
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, (_u, device) =>
      deviceClient(ctx.app, tenant, `tech-${device}`, `device-${device}`),
    ),
  );
  await Promise.all(
    clients.map((client, device) =>
      seedRecords(client, total / DEVICES, { mode: 'enqueue', tag: `${label}-${device}` }),
    ),
  );
  return { tenant, clients };
}

/**
 * The floors: bare claim loops over a table of their own, `workers` side by side, each batch one transaction.
 * `claim`: SELECT ... FOR UPDATE SKIP LOCKED LIMIT n; UPDATE the claimed rows to processed. `apply`, the fairer
 * one: the same claim also fetches each item's payload (the same records ours applies), one multi-row upsert writes
 * them to a record table (version + 1, like the push floor's bare upsert), then the claimed rows are marked done.
 * Neither checks conflicts, writes revisions or results, or orders edits of one record.
 */
async function floorLoop(
  dbUrl: string,
  kind: 'claim' | 'apply',
  total: number,
  workers: number,
  batch: number,
): Promise<number> {
  const pool = new Pool({ connectionString: dbUrl, max: workers });
  const table = `bench_floor_${kind}_${workers}_${batch}`;
  try {
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, device_id text NOT NULL, priority smallint NOT NULL,
      status text NOT NULL DEFAULT 'pending', domain text NOT NULL, mobile_id uuid NOT NULL, payload jsonb NOT NULL,
      processed_at timestamptz)`);
    await pool.query(`CREATE INDEX ON ${table} (priority, id) WHERE status = 'pending'`);
    await pool.query(`CREATE TABLE ${table}_record (domain text NOT NULL, mobile_id uuid NOT NULL, version int NOT NULL,
      data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (domain, mobile_id))`);
    for (let start = 0; start < total; start += 1000) {
      const ns = Array.from({ length: Math.min(1000, total - start) }, (_u, i) => start + i);
      await pool.query(
        `INSERT INTO ${table} (device_id, priority, domain, mobile_id, payload)
         SELECT 'device-' || (n % 8), n % 3, d, gen_random_uuid(), p
         FROM unnest($1::int[], $2::text[], $3::jsonb[]) AS u(n, d, p)`,
        [ns, ns.map((n) => domainOf(n)), ns.map((n) => JSON.stringify(recordFor(domainOf(n), n)))],
      );
    }
    await pool.query(`ANALYZE ${table}`);
    let done = 0;
    const started = nowMs();
    let empty = false;
    await runWorkers(
      workers,
      () => (empty ? undefined : true),
      async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query<{ id: string; domain: string; mobile_id: string; payload: unknown }>(
            `SELECT id${kind === 'apply' ? ', domain, mobile_id, payload' : ''} FROM ${table}
             WHERE status = 'pending' ORDER BY priority, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
            [batch],
          );
          if (rows.length > 0) {
            if (kind === 'apply') {
              await client.query(
                `INSERT INTO ${table}_record (domain, mobile_id, version, data)
                 SELECT d, m, 1, p FROM unnest($1::text[], $2::uuid[], $3::jsonb[]) AS u(d, m, p)
                 ON CONFLICT (domain, mobile_id) DO UPDATE
                 SET version = ${table}_record.version + 1, data = EXCLUDED.data, updated_at = now()`,
                [
                  rows.map((row) => row.domain),
                  rows.map((row) => row.mobile_id),
                  rows.map((row) => JSON.stringify(row.payload)),
                ],
              );
            }
            await client.query(
              `UPDATE ${table} SET status = 'processed', processed_at = now() WHERE id = ANY($1::bigint[])`,
              [rows.map((row) => row.id)],
            );
          } else empty = true;
          await client.query('COMMIT');
          done += rows.length;
        } finally {
          client.release();
        }
      },
    );
    if (done !== total) throw new Error(`floor ${kind} claimed ${done} of ${total}`);
    return total / ((nowMs() - started) / 1000);
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_record`).catch(() => undefined);
    await pool.end();
  }
}

export const queueCase: BenchCase = {
  id: 'queue',
  title: '3. Queue: pending items drained by partial syncs and by the drain task',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const total = ctx.quick ? 5_000 : 100_000;
    ctx.log(`queue: enqueueing ${total} items for partial syncs`);
    const partial = await enqueue(ctx, 'partial', total);
    let synced = 0;
    let started = nowMs();
    const finished = new Set<number>();
    await runWorkers(
      DEVICES,
      (device) => (finished.has(device) ? undefined : device),
      async (device) => {
        const body = JSON.stringify({ priority: 'low', max_items: PARTIAL_BATCH, network_quality: 'excellent' });
        const response = await partial.clients[device].send('POST', '/api/v1/sync/partial', body);
        if (response.status !== 200)
          throw new Error(`partial: HTTP ${response.status} ${response.body.toString().slice(0, 300)}`);
        const parsed = JSON.parse(response.body.toString('utf8')) as PartialResponse;
        synced += parsed.synced_items.length;
        if (parsed.remaining === 0 || parsed.synced_items.length === 0) finished.add(device);
      },
    );
    const partialRate = synced / ((nowMs() - started) / 1000);
    partial.clients.forEach((client) => client.close());

    ctx.log(`queue: enqueueing ${total} items for the drain`);
    const drainSet = await enqueue(ctx, 'drain', total);
    drainSet.clients.forEach((client) => client.close());
    started = nowMs();
    const drained = await ctx.app.call<number>({ op: 'drain', maxBatches: 20 });
    const drainRate = drained / ((nowMs() - started) / 1000);

    const floors = {
      partialClaim: await floorLoop(ctx.dbUrl, 'claim', total, DEVICES, PARTIAL_BATCH),
      partialApply: await floorLoop(ctx.dbUrl, 'apply', total, DEVICES, PARTIAL_BATCH),
      drainClaim: await floorLoop(ctx.dbUrl, 'claim', total, 1, DRAIN_BATCH),
      drainApply: await floorLoop(ctx.dbUrl, 'apply', total, 1, DRAIN_BATCH),
    };
    const legacy = await floorLoop(ctx.dbUrl, 'claim', total, 1, 50);
    result.metrics.push(
      {
        name: `floor claim: bare SKIP LOCKED claim loop, ${DEVICES} workers × ${PARTIAL_BATCH}: items/s`,
        value: Math.round(floors.partialClaim),
      },
      {
        name: `floor apply: claim + upsert of the records + mark done, ${DEVICES} workers × ${PARTIAL_BATCH}: items/s`,
        value: Math.round(floors.partialApply),
      },
      {
        name: `floor claim: 1 worker × ${DRAIN_BATCH} (the drain's batch): items/s`,
        value: Math.round(floors.drainClaim),
      },
      { name: `floor apply: 1 worker × ${DRAIN_BATCH}: items/s`, value: Math.round(floors.drainApply) },
      { name: 'floor claim: 1 worker × 50 (the figure before issue 15): items/s', value: Math.round(legacy) },
      {
        name: `ours: POST /api/v1/sync/partial, ${DEVICES} devices × ${PARTIAL_BATCH}: items/s`,
        value: Math.round(partialRate),
      },
      { name: 'ours: partial syncs, items processed', value: `${synced} / ${total}` },
      { name: `ours: QueueDrainService.drain(), batches of ${DRAIN_BATCH}: items/s`, value: Math.round(drainRate) },
      { name: 'ours: drain, items processed', value: `${drained} / ${total}` },
    );
    result.ratios.push(
      { name: 'queue partial ours/floor claim (items/s)', value: round(partialRate / floors.partialClaim, 3) },
      { name: 'queue partial ours/floor apply (items/s)', value: round(partialRate / floors.partialApply, 3) },
      { name: 'queue drain ours/floor claim (items/s)', value: round(drainRate / floors.drainClaim, 3) },
      { name: 'queue drain ours/floor apply (items/s)', value: round(drainRate / floors.drainApply, 3) },
    );
    result.notes.push(
      'Ours applies each item (order check, record locks, conflict check against the policy, record, revision and ' +
        'scope keys written, result stored); floor claim only claims and marks, floor apply also upserts the records.',
    );
  },
};
