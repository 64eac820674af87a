import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { AppServer } from '../lib/app-server';
import { HttpClient } from '../lib/http';
import { startPouchServer } from '../lib/peer';
import { RssSampler } from '../lib/rss';
import { mb, nowMs, percentile, round, runWorkers } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult, Metric } from '../lib/types';
import { Domain, domainOf, editOf, recordFor } from '../lib/workload';

const DEVICES = 8;
const BATCH = 100;
const CONFLICT_SHARE = 0.2;

interface SeedRecord {
  domain: Domain;
  mobileId: string;
  v1: Record<string, unknown>;
  v2: Record<string, unknown>;
}

interface Item {
  domain: Domain;
  mobileId: string;
  /** 0: a new record; 1: an edit of a seeded record already at version 2 (stale: a conflict). */
  baseVersion: 0 | 1;
  data: Record<string, unknown>;
  mutationId: string;
}

export interface Workload {
  seeds: SeedRecord[];
  /** batches[device][batch] */
  batches: Item[][][];
  total: number;
}

export function buildWorkload(totalItems: number): Workload {
  const perBatchConflicts = Math.round(BATCH * CONFLICT_SHARE);
  const batchesPerDevice = Math.max(1, Math.round(totalItems / DEVICES / BATCH));
  const seeds: SeedRecord[] = [];
  let n = 0;
  const batches = Array.from({ length: DEVICES }, (_u, device) =>
    Array.from({ length: batchesPerDevice }, (_v, batch) =>
      Array.from({ length: BATCH }, (_w, slot): Item => {
        n += 1;
        const domain = domainOf(n);
        const mutationId = `d${device}-b${batch}-i${slot}`;
        if (slot % (BATCH / perBatchConflicts) === 0) {
          const v1 = recordFor(domain, n);
          const seed: SeedRecord = { domain, mobileId: randomUUID(), v1, v2: editOf(domain, v1, 2) };
          seeds.push(seed);
          return { domain, mobileId: seed.mobileId, baseVersion: 1, data: editOf(domain, v1, n), mutationId };
        }
        return { domain, mobileId: randomUUID(), baseVersion: 0, data: recordFor(domain, n), mutationId };
      }),
    ),
  );
  return { seeds, batches, total: DEVICES * batchesPerDevice * BATCH };
}

export interface RunFigures {
  itemsPerSec: number;
  p50: number;
  p95: number;
  rss?: number;
  conflicts: number;
}

/** 8 workers, each sending its own device's pre-serialised batches in order; the clock covers all of them. */
async function drive<T>(
  bodies: T[][],
  send: (device: number, body: T) => Promise<number>,
  total: number,
  pid?: number,
): Promise<RunFigures> {
  const cursor = bodies.map(() => 0);
  const latencies: number[] = [];
  let conflicts = 0;
  const sampler = pid ? new RssSampler(pid) : undefined;
  const started = nowMs();
  await runWorkers(
    DEVICES,
    (device) => (cursor[device] < bodies[device].length ? bodies[device][cursor[device]++] : undefined),
    async (body, device) => {
      const t0 = nowMs();
      const found = await send(device, body);
      conflicts += found;
      latencies.push(nowMs() - t0);
    },
  );
  const seconds = (nowMs() - started) / 1000;
  return {
    itemsPerSec: total / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    rss: sampler?.stop(),
    conflicts,
  };
}

async function runFloor(ctx: BenchContext, work: Workload): Promise<RunFigures> {
  const pool = new Pool({ connectionString: ctx.dbUrl, max: DEVICES });
  try {
    await pool.query(`CREATE TABLE bench_floor_record (
      tenant_id uuid NOT NULL, domain text NOT NULL, mobile_id uuid NOT NULL, version int NOT NULL, data jsonb NOT NULL,
      deleted boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, domain, mobile_id))`);
    const tenant = randomUUID();
    for (let i = 0; i < work.seeds.length; i += 1000) {
      const chunk = work.seeds.slice(i, i + 1000);
      await pool.query(
        `INSERT INTO bench_floor_record (tenant_id, domain, mobile_id, version, data)
         SELECT $1, * FROM unnest($2::text[], $3::uuid[], $4::int[], $5::jsonb[])`,
        [
          tenant,
          chunk.map((s) => s.domain),
          chunk.map((s) => s.mobileId),
          chunk.map(() => 2),
          chunk.map((s) => JSON.stringify(s.v2)),
        ],
      );
    }
    // One multi-row INSERT ... ON CONFLICT per batch; a stale edit (version not base + 1) changes nothing.
    const statements = work.batches.map((device) =>
      device.map((batch) => {
        const params: unknown[] = [tenant];
        const rows = batch.map((item) => {
          params.push(item.domain, item.mobileId, item.baseVersion + 1, JSON.stringify(item.data));
          const p = params.length;
          return `($1, $${p - 3}, $${p - 2}::uuid, $${p - 1}::int, $${p}::jsonb)`;
        });
        return {
          text: `INSERT INTO bench_floor_record (tenant_id, domain, mobile_id, version, data) VALUES ${rows.join(',')}
                 ON CONFLICT (tenant_id, domain, mobile_id) DO UPDATE
                 SET version = EXCLUDED.version, data = EXCLUDED.data, updated_at = now()
                 WHERE bench_floor_record.version = EXCLUDED.version - 1`,
          values: params,
        };
      }),
    );
    return await drive(
      statements,
      async (_device, query) => {
        const result = await pool.query(query.text, query.values);
        return BATCH - (result.rowCount ?? 0);
      },
      work.total,
    );
  } finally {
    await pool.end();
  }
}

interface BulkDocsResult {
  id: string;
  rev?: string;
  error?: string;
}

async function runPeer(ctx: BenchContext, work: Workload): Promise<RunFigures> {
  const peer = await startPouchServer(ctx.peerDir, ctx.workDir);
  const clients = Array.from({ length: DEVICES }, () => new HttpClient(peer.url));
  const admin = new HttpClient(peer.url);
  try {
    await admin.json('PUT', '/fieldsync');
    const rev1 = new Map<string, string>();
    for (let i = 0; i < work.seeds.length; i += 1000) {
      const chunk = work.seeds.slice(i, i + 1000);
      const created = await admin.json<BulkDocsResult[]>('POST', '/fieldsync/_bulk_docs', {
        docs: chunk.map((s) => ({ _id: s.mobileId, domain: s.domain, ...s.v1 })),
      });
      created.forEach((row) => rev1.set(row.id, row.rev ?? ''));
      await admin.json('POST', '/fieldsync/_bulk_docs', {
        docs: chunk.map((s) => ({ _id: s.mobileId, _rev: rev1.get(s.mobileId), domain: s.domain, ...s.v2 })),
      });
    }
    const bodies = work.batches.map((device) =>
      device.map((batch) =>
        JSON.stringify({
          docs: batch.map((item) =>
            item.baseVersion === 0
              ? { _id: item.mobileId, domain: item.domain, ...item.data }
              : { _id: item.mobileId, _rev: rev1.get(item.mobileId), domain: item.domain, ...item.data },
          ),
        }),
      ),
    );
    return await drive(
      bodies,
      async (device, body) => {
        const response = await clients[device].send('POST', '/fieldsync/_bulk_docs', body);
        if (response.status !== 201) throw new Error(`_bulk_docs: HTTP ${response.status}`);
        const rows = JSON.parse(response.body.toString('utf8')) as BulkDocsResult[];
        return rows.filter((row) => row.error === 'conflict').length;
      },
      work.total,
      peer.pid,
    );
  } finally {
    clients.forEach((client) => client.close());
    admin.close();
    await peer.stop();
  }
}

/** How a device writes an item: its data (and schema_version) in an app version's shape; default: as built. */
export type ItemShape = (item: Pick<Item, 'domain' | 'data'>) => {
  data: Record<string, unknown>;
  schema_version?: number;
};

function pushBody(items: Item[], shape: ItemShape = (item) => ({ data: item.data })): string {
  return JSON.stringify({
    items: items.map((item) => ({
      client_mutation_id: item.mutationId,
      domain: item.domain,
      mobile_id: item.mobileId,
      base_version: item.baseVersion,
      ...shape(item),
      client_updated_at: '2025-09-28T10:30:00Z',
      deleted: false,
      priority: 'medium',
    })),
    device_info: {
      network_type: '4g',
      app_version: '5.2.0',
      os_version: 'Android 14',
      device_time: new Date().toISOString(),
    },
    mode: 'process',
  });
}

interface PushResponse {
  results: Array<{ status: string; conflict_id: string | null }>;
}

/** The figures of one push run as table rows, each name prefixed with its label. */
export function runMetrics(label: string, f: RunFigures & { statuses: Record<string, number> }): Metric[] {
  return [
    { name: `${label}: items/s`, value: Math.round(f.itemsPerSec) },
    { name: `${label}: batch p50`, value: round(f.p50, 1), unit: 'ms' },
    { name: `${label}: batch p95`, value: round(f.p95, 1), unit: 'ms' },
    {
      name: `${label}: item statuses`,
      value: Object.entries(f.statuses)
        .map(([status, count]) => `${status} ${count}`)
        .join(', '),
    },
  ];
}

/**
 * The push run against one app; `prepare` sets the tenant up (a directory) before anything is pushed. `replicas`:
 * more app processes on the same database (same JWT secret), the devices spread over app and replicas in turn.
 */
export async function runOurs(
  app: AppServer,
  work: Workload,
  prepare: (tenant: string) => Promise<void> = async () => undefined,
  shape?: ItemShape,
  replicas: AppServer[] = [],
): Promise<RunFigures & { statuses: Record<string, number> }> {
  const tenant = await app.createTenant('bench-push');
  await prepare(tenant);
  const seedClient = new HttpClient(app.url, {
    authorization: `Bearer ${await app.token(tenant, 'seed-user', 'sync')}`,
    'x-device-id': 'seed-device',
  });
  const seedBody = (seeds: SeedRecord[], version: 0 | 1, tag: string): string =>
    pushBody(
      seeds.map((s) => ({
        domain: s.domain,
        mobileId: s.mobileId,
        baseVersion: version,
        data: version === 0 ? s.v1 : s.v2,
        mutationId: `${tag}-${s.mobileId}`,
      })),
    );
  for (let i = 0; i < work.seeds.length; i += 1000) {
    const chunk = work.seeds.slice(i, i + 1000);
    for (const [version, tag] of [
      [0, 'seed1'],
      [1, 'seed2'],
    ] as const) {
      const response = await seedClient.send('POST', '/api/v1/sync/push', seedBody(chunk, version, tag));
      if (response.status !== 200)
        throw new Error(`seed push: HTTP ${response.status} ${response.body.toString().slice(0, 300)}`);
    }
  }
  seedClient.close();
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, async (_u, device) => {
      const token = await app.token(tenant, `tech-${device}`, 'sync');
      const target = [app, ...replicas][device % (replicas.length + 1)];
      return new HttpClient(target.url, { authorization: `Bearer ${token}`, 'x-device-id': `device-${device}` });
    }),
  );
  const statuses: Record<string, number> = {};
  try {
    const bodies = work.batches.map((device) => device.map((items) => pushBody(items, shape)));
    const figures = await drive(
      bodies,
      async (device, body) => {
        const response = await clients[device].send('POST', '/api/v1/sync/push', body);
        if (response.status !== 200)
          throw new Error(`push: HTTP ${response.status} ${response.body.toString().slice(0, 300)}`);
        const parsed = JSON.parse(response.body.toString('utf8')) as PushResponse;
        let conflicts = 0;
        for (const result of parsed.results) {
          statuses[result.status] = (statuses[result.status] ?? 0) + 1;
          if (result.conflict_id !== null || result.status !== 'applied') conflicts += 1;
        }
        return conflicts;
      },
      work.total,
      app.pid,
    );
    return { ...figures, statuses };
  } finally {
    clients.forEach((client) => client.close());
  }
}

/**
 * The directory of the run: the seeding user and the eight device users supervise site 58 (the workload's `bu`), so
 * every item passes the write checks under the default rules (reads through the site key, supervisor-only fields
 * allowed) and does all of their work: rules, stored keys, the users' keys, the checks, the key writes.
 */
export async function supervisorsOfSite(
  app: AppServer,
  tenant: string,
  users = ['seed-user', ...Array.from({ length: DEVICES }, (_u, device) => `tech-${device}`)],
): Promise<void> {
  const admin = new HttpClient(app.url, {
    authorization: `Bearer ${await app.token(tenant, 'bench-admin', 'admin')}`,
    'content-type': 'application/json',
  });
  try {
    for (const user of users) {
      const response = await admin.send(
        'PUT',
        `/api/v1/users/${user}`,
        JSON.stringify({ memberships: [{ group: 'site:58', role: 'supervisor' }] }),
      );
      if (response.status !== 200) throw new Error(`PUT /api/v1/users/${user}: HTTP ${response.status}`);
    }
  } finally {
    admin.close();
  }
}

export const pushCase: BenchCase = {
  id: 'push',
  usesPeer: true,
  title: '1. Push throughput over HTTP (8 devices, batches of 100, 20 % stale edits)',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const work = buildWorkload(ctx.quick ? 10_000 : 100_000);
    ctx.log(`push: ${work.total} items, ${work.seeds.length} seeded records for stale edits`);
    const floor = await runFloor(ctx, work);
    ctx.log(`push floor: ${Math.round(floor.itemsPerSec)} items/s`);
    const peer = await runPeer(ctx, work);
    ctx.log(`push peer: ${Math.round(peer.itemsPerSec)} items/s`);
    // The device users supervise the workload's site: the stale edits are merged by the policy, not refused by the
    // write checks (a technician without a scope over the seeded records would get RECORD_FORBIDDEN).
    const ours = await runOurs(ctx.app, work, (tenant) => supervisorsOfSite(ctx.app, tenant));
    ctx.log(`push ours: ${Math.round(ours.itemsPerSec)} items/s`);
    const row = (label: string, f: RunFigures): void => {
      result.metrics.push(
        { name: `${label}: items/s`, value: Math.round(f.itemsPerSec) },
        { name: `${label}: batch p50`, value: round(f.p50, 1), unit: 'ms' },
        { name: `${label}: batch p95`, value: round(f.p95, 1), unit: 'ms' },
        { name: `${label}: conflicts detected`, value: `${f.conflicts} / ${work.seeds.length}` },
      );
      if (f.rss !== undefined) result.metrics.push({ name: `${label}: peak server RSS`, value: mb(f.rss), unit: 'MB' });
    };
    row('floor (bare pg multi-row upsert)', floor);
    row('peer (PouchDB Server, _bulk_docs, LevelDB)', peer);
    row('ours (POST /api/v1/sync/push)', ours);
    result.metrics.push({
      name: 'ours: item statuses',
      value: Object.entries(ours.statuses)
        .map(([status, count]) => `${status} ${count}`)
        .join(', '),
    });
    result.ratios.push(
      { name: 'push ours/floor (items/s)', value: round(ours.itemsPerSec / floor.itemsPerSec, 3) },
      { name: 'push ours/peer (items/s), target >= 2', value: round(ours.itemsPerSec / peer.itemsPerSec, 2), min: 2 },
      { name: 'push ours items/s / 5,000 (absolute target)', value: round(ours.itemsPerSec / 5000, 2), min: 1 },
    );
    result.notes.push(
      `${work.total} items in ${work.total / BATCH} batches; ${work.seeds.length} (${CONFLICT_SHARE * 100} %) are edits with base_version 1 ` +
        'of records already at version 2 (floor: skipped by the version guard; peer: _rev of revision 1, rejected as conflict; ours: conflict engine).',
      'Requests and SQL statements are serialised before the clock starts; each device keeps one keep-alive connection.',
    );
  },
};
