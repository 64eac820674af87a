import { Pool } from 'pg';
import { HttpClient } from '../lib/http';
import { deviceClient, seedRecords } from '../lib/seed';
import { nowMs, round, runWorkers } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';

const DEVICES = 8;
const PARTIAL_BATCH = 100;
const DRAIN_BATCH = 50;

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

/** Floor: a bare claim loop: BEGIN; SELECT ... FOR UPDATE SKIP LOCKED LIMIT n; UPDATE ... ; COMMIT. */
async function floorClaimLoop(dbUrl: string, total: number, workers: number, batch: number): Promise<number> {
  const pool = new Pool({ connectionString: dbUrl, max: workers });
  const table = `bench_floor_queue_${workers}_${batch}`;
  try {
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, device_id text NOT NULL, priority smallint NOT NULL,
      status text NOT NULL DEFAULT 'pending', payload jsonb NOT NULL, processed_at timestamptz)`);
    await pool.query(`CREATE INDEX ON ${table} (priority, id) WHERE status = 'pending'`);
    await pool.query(
      `INSERT INTO ${table} (device_id, priority, payload)
       SELECT 'device-' || (g % 8), g % 3, jsonb_build_object('jobdesc', 'Fire extinguisher check', 'n', g)
       FROM generate_series(1, $1) g`,
      [total],
    );
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
          const { rows } = await client.query<{ id: string }>(
            `SELECT id FROM ${table} WHERE status = 'pending' ORDER BY priority, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
            [batch],
          );
          if (rows.length > 0) {
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
    if (done !== total) throw new Error(`floor claimed ${done} of ${total}`);
    return total / ((nowMs() - started) / 1000);
  } finally {
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

    const floorPartial = await floorClaimLoop(ctx.dbUrl, total, DEVICES, PARTIAL_BATCH);
    const floorDrain = await floorClaimLoop(ctx.dbUrl, total, 1, DRAIN_BATCH);
    result.metrics.push(
      {
        name: `floor: bare SKIP LOCKED claim loop, ${DEVICES} workers × ${PARTIAL_BATCH}: items/s`,
        value: Math.round(floorPartial),
      },
      { name: `floor: bare SKIP LOCKED claim loop, 1 worker × ${DRAIN_BATCH}: items/s`, value: Math.round(floorDrain) },
      {
        name: `ours: POST /api/v1/sync/partial, ${DEVICES} devices × ${PARTIAL_BATCH}: items/s`,
        value: Math.round(partialRate),
      },
      { name: 'ours: partial syncs, items processed', value: `${synced} / ${total}` },
      { name: 'ours: QueueDrainService.drain(): items/s', value: Math.round(drainRate) },
      { name: 'ours: drain, items processed', value: `${drained} / ${total}` },
    );
    result.ratios.push(
      { name: 'queue partial ours/floor (items/s)', value: round(partialRate / floorPartial, 3) },
      { name: 'queue drain ours/floor (items/s)', value: round(drainRate / floorDrain, 3) },
    );
    result.notes.push(
      'Ours applies each item (conflict check, record and revision written, result stored); the floor only claims and marks.',
    );
  },
};
