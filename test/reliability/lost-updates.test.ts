import { randomUUID } from 'node:crypto';
import { QueueDrainService } from '../../src/modules/queue/queue-drain.service';
import { TenantService } from '../../src/modules/tenant/tenant.service';
import { pushItem, taskData, ticketData } from '../factories/records';
import { ServerProcess, startServerProcess } from '../helpers/server-process';
import { call, startTestApp, TestApp } from '../helpers/test-app';
import { databaseEnv, describeWithPostgres } from '../helpers/test-database';

describeWithPostgres('no lost update: 24 devices, two app processes, one database', () => {
  let setup: TestApp;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    setup = await startTestApp('lost_updates');
    const env = {
      ...databaseEnv(setup.database),
      MIGRATIONS_RUN: 'false',
      RATE_LIMIT_PER_MINUTE: '100000',
      DB_POOL_SIZE: '8',
    };
    servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 330_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await setup.close();
  });

  it('keeps versions contiguous, every version with its revision, every conflict logged, every edit accounted for', async () => {
    const tenants = setup.app.get(TenantService);
    const tenant = await tenants.createTenant('lost-updates');
    const key = (await tenants.createApiKey(tenant.id, ['sync'], 'tech')).key;
    const tasks = [...Array(6)].map(() => randomUUID());
    const tickets = [...Array(4)].map(() => randomUUID());
    const seed = [
      ...tasks.map((id) => pushItem({ mobile_id: id, data: taskData() })),
      ...tickets.map((id) => pushItem({ domain: 'ticket', mobile_id: id, data: ticketData() })),
    ];
    const send = async (server: ServerProcess, device: string, items: unknown[]) => {
      const response = await fetch(`${server.url}/api/v1/sync/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'x-device-id': device, 'content-type': 'application/json' },
        body: JSON.stringify({ items }),
      });
      return { status: response.status, body: (await response.json()) as { results: Array<Record<string, any>> } };
    };
    expect((await send(servers[0], 'seed', seed)).status).toBe(200);

    const devices = [...Array(24)].map((_, n) => `tablet-${n}`);
    const sent = new Map<string, { device: string; mobile_id: string; data: Record<string, unknown> }>();
    const responses = await Promise.all(
      devices.map(async (device, n) => {
        const results: Array<Record<string, any>> = [];
        for (let round = 0; round < 3; round++) {
          const items = [
            ...tasks.map((id) =>
              pushItem({
                mobile_id: id,
                base_version: 1,
                data: taskData({ jobstatus: 'INPROGRESS', remarks: `${device} r${round}` }),
                client_updated_at: new Date(Date.UTC(2025, 8, 28, 10, round, n)).toISOString(),
              }),
            ),
            ...tickets.map((id) =>
              pushItem({
                domain: 'ticket',
                mobile_id: id,
                base_version: 1,
                data: ticketData({ comments: `${device} r${round}` }),
              }),
            ),
          ];
          for (const item of items)
            sent.set(item.client_mutation_id, { device, mobile_id: item.mobile_id, data: item.data });
          const response = await send(servers[n % 2], device, items);
          expect(response.status).toBe(200);
          results.push(...response.body.results);
        }
        return results;
      }),
    );
    const results = responses.flat();
    expect(results).toHaveLength(24 * 3 * 10);

    const db = setup.db;
    const versions = await db.query(
      `SELECT r.mobile_id, r.version, count(v.version)::int AS revisions, min(v.version) AS first, max(v.version) AS last,
              count(DISTINCT v.version)::int AS distinct_versions
       FROM sync_record r JOIN sync_record_revision v USING (tenant_id, domain, mobile_id)
       WHERE r.tenant_id = $1 GROUP BY r.mobile_id, r.version`,
      [tenant.id],
    );
    expect(versions).toHaveLength(10);
    for (const row of versions) {
      expect(row).toMatchObject({
        revisions: row.version,
        distinct_versions: row.version,
        first: 1,
        last: row.version,
      });
    }
    const conflicts = results.filter((r) => r.conflict_id);
    const logged = await db.query(
      `SELECT id::text, resolution_strategy, winning_version FROM conflict_log WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(new Set(logged.map((row: { id: string }) => row.id))).toEqual(new Set(conflicts.map((r) => r.conflict_id)));
    expect(logged.every((row: { resolution_strategy: string }) => row.resolution_strategy.length > 0)).toBe(true);

    // Every accepted edit is a revision of its own; every other edit is a conflict decided by a named policy.
    const revisions = await db.query(
      `SELECT client_mutation_id FROM sync_record_revision WHERE tenant_id = $1 AND client_mutation_id IS NOT NULL`,
      [tenant.id],
    );
    const withRevision = new Set(revisions.map((row: { client_mutation_id: string }) => row.client_mutation_id));
    let applied = 0;
    for (const result of results) {
      if (result.status === 'applied') {
        applied += 1;
        expect(withRevision.has(result.client_mutation_id)).toBe(true);
      } else {
        expect(['resolved', 'manual_required']).toContain(result.status);
        expect(result.conflict_id).toEqual(expect.any(String));
      }
    }
    process.stdout.write(
      `lost updates: 24 devices x 3 pushes x 10 records over 2 processes -> ${results.length} edits, ${applied} applied, ` +
        `${conflicts.length} conflicts logged, final versions ${versions.map((row: { version: number }) => row.version).join(',')}\n`,
    );
  }, 180_000);
});

describeWithPostgres('two replicas draining one queue', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await startTestApp('replica_drain');
    second = await startTestApp('replica_drain', { MIGRATIONS_RUN: false }, { database: first.database });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('never processes an item twice', async () => {
    const tenant = await first.createTenant();
    let total = 0;
    for (let d = 0; d < 8; d++) {
      const items = [...Array(100)].map(() => pushItem());
      total += items.length;
      expect(
        (
          await call(first, 'POST', '/api/v1/sync/push', {
            key: tenant.syncKey,
            device: `d-${d}`,
            body: { items, mode: 'enqueue' },
          })
        ).status,
      ).toBe(200);
    }
    const [a, b] = await Promise.all([
      first.app.get(QueueDrainService).drain(),
      second.app.get(QueueDrainService).drain(),
    ]);
    const rows = await first.db.query(
      `SELECT status, attempts, count(*)::int AS n FROM sync_queue_item WHERE tenant_id = $1 GROUP BY 1, 2`,
      [tenant.id],
    );
    process.stdout.write(`replica drain: ${total} items, replica A ${a}, replica B ${b}\n`);
    expect(a + b).toBe(total);
    expect(rows).toEqual([{ status: 'processed', attempts: 1, n: total }]);
    const revisions = await first.db.query(`SELECT count(*)::int AS n FROM sync_record_revision WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    expect(revisions[0].n).toBe(total);
  });
});
