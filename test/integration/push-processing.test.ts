import { randomUUID } from 'node:crypto';
import type { Logger } from 'typeorm';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { describeWithPostgres } from '../helpers/test-database';
import { pushItem, taskData } from '../factories/records';

function countStatements(t: TestApp): { count(): number; stop(): void } {
  const original = t.db.logger;
  let statements = 0;
  const counting: Logger = {
    logQuery: () => {
      statements += 1;
    },
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  Object.assign(t.db, { logger: counting });
  return { count: () => statements, stop: () => Object.assign(t.db, { logger: original }) };
}

describe('push processing cost', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('push_cost');
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  async function statementsFor(items: unknown[], device: string): Promise<number> {
    const counter = countStatements(t);
    try {
      const result = await call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device, body: { items } });
      expect(result.status).toBe(200);
      return counter.count();
    } finally {
      counter.stop();
    }
  }

  it('costs the same bounded number of SQL statements for 10 and for 1000 items, conflicts included', async () => {
    const seeded = [...Array(1000)].map(() => pushItem());
    await call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device: 'seed', body: { items: seeded } });

    const small = [...Array(10)].map(() => pushItem());
    // 1000 items: 800 new records, 200 stale edits of seeded records (conflicts through the policy).
    const large = [
      ...[...Array(800)].map(() => pushItem()),
      ...seeded
        .slice(0, 200)
        .map((s) => pushItem({ mobile_id: s.mobile_id, base_version: 0, data: taskData({ jobstatus: 'STANDBY' }) })),
    ];
    const forSmall = await statementsFor(small, 'dev-small');
    const forLarge = await statementsFor(large, 'dev-large');
    process.stdout.write(`push statements: 10 items -> ${forSmall}, 1000 items (200 conflicts) -> ${forLarge}\n`);
    // 16 before sync scopes (rules, stored keys, owners' memberships and the actor's keys read, the keys written) and
    // the live wake-up (pg_notify) joined the transaction: 21; a settled push no longer counts its pending items and
    // the check for pending items before the push joined the insert: 19; the scope reads became one statement and
    // the wake-up joined the key write: 16; each queue row written once with its result (the known ids read first, no
    // UPDATE) and revisions with the record upsert in one statement: 15. Any further statement fails here
    // (docs/benchmarks.md, "Push transaction", lists them).
    expect(forLarge).toBeLessThanOrEqual(15);
    expect(forLarge - forSmall).toBeLessThanOrEqual(2);
  });

  it("probes the device's queue and the records once per item, never a hash join over the tenant", async () => {
    // Statistics taken while the tables were nearly empty, then a device with 2,000 stored items: the planner's
    // estimates invite a hash join that reads every stored item of the device (and every record of the tenant).
    await t.db.query('ANALYZE sync_queue_item; ANALYZE sync_record');
    const stored = [...Array(2000)].map(() => pushItem());
    for (const half of [stored.slice(0, 1000), stored.slice(1000)]) {
      const seeded = await call(t, 'POST', '/api/v1/sync/push', {
        key: tenant.syncKey,
        device: 'dev-plan',
        body: { items: half },
      });
      expect(seeded.status).toBe(200);
    }
    const items = [...stored.slice(0, 20).map((s) => pushItem({ mobile_id: s.mobile_id, base_version: 1 }))];
    const captured: Array<{ query: string; parameters?: unknown[] }> = [];
    const original = t.db.logger;
    Object.assign(t.db, {
      logger: {
        ...original,
        logQuery: (query: string, parameters?: unknown[]) => captured.push({ query, parameters }),
      },
    });
    try {
      const result = await call(t, 'POST', '/api/v1/sync/push', {
        key: tenant.syncKey,
        device: 'dev-plan',
        body: { items },
      });
      expect(result.status).toBe(200);
    } finally {
      Object.assign(t.db, { logger: original });
    }
    interface PlanNode {
      'Node Type': string;
      'Relation Name'?: string;
      'Actual Rows': number;
      'Actual Loops': number;
      Plans?: PlanNode[];
    }
    const scansOf = async (marker: string, relation: string): Promise<PlanNode[]> => {
      const statement = captured.find((entry) => entry.query.includes(marker));
      expect(statement).toBeDefined();
      const [{ 'QUERY PLAN': plan }] = await t.db.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${statement!.query}`,
        statement!.parameters,
      );
      const scans: PlanNode[] = [];
      const walk = (node: PlanNode): void => {
        if (node['Relation Name'] === relation) scans.push(node);
        node.Plans?.forEach(walk);
      };
      walk((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
      return scans;
    };
    // The known mutation ids: one unique-index probe per id (plus the pending probe, which reads nothing here).
    const known = await scansOf('AS m(client_mutation_id)', 'sync_queue_item');
    const probes = known.filter((node) => node['Actual Loops'] === items.length);
    expect(probes).toHaveLength(1);
    for (const node of known) expect(node['Actual Rows'] * node['Actual Loops']).toBeLessThanOrEqual(items.length);
    // The current copies: one primary-key probe per record.
    const current = await scansOf('AS k(domain, mobile_id)\n', 'sync_record');
    expect(current.map((node) => node['Actual Loops'])).toEqual([items.length]);
    expect(current[0]['Actual Rows'] * current[0]['Actual Loops']).toBe(items.length);
  });
});

describeWithPostgres('concurrent pushes of the same records (PostgreSQL)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('push_concurrency');
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  it('ends with contiguous versions, one revision per version, and no edit applied twice or lost', async () => {
    const records = [...Array(5)].map(() => randomUUID());
    const devices = [...Array(20)].map((_, i) => `device-${i}`);
    await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'creator',
      body: { items: records.map((id) => pushItem({ mobile_id: id, data: taskData({ by: 'creator' }) })) },
    });
    const pushes = devices.map((device, d) =>
      call(t, 'POST', '/api/v1/sync/push', {
        key: tenant.syncKey,
        device,
        body: {
          items: records.map((id) =>
            pushItem({
              mobile_id: id,
              base_version: 1,
              data: taskData({ by: device }),
              client_updated_at: new Date(Date.UTC(2025, 8, 28, 9, 0, d)).toISOString(),
            }),
          ),
        },
      }),
    );
    const responses = await Promise.all(pushes);
    expect(responses.map((r) => r.status)).toEqual(devices.map(() => 200));
    const results = responses.flatMap((r) => r.body.results);
    expect(results).toHaveLength(100);
    const applied = results.filter((r) => r.status === 'applied');
    const resolved = results.filter((r) => r.status === 'resolved');
    expect(applied.length + resolved.length).toBe(100);
    // The first writer of each record applies cleanly; the other 19 edits of it are conflicts.
    expect(applied).toHaveLength(5);
    expect(resolved.every((r) => typeof r.conflict_id === 'string')).toBe(true);

    const rows = await t.db.query(
      `SELECT r.mobile_id, r.version, count(v.version)::int AS revisions, min(v.version) AS first, max(v.version) AS last
       FROM sync_record r JOIN sync_record_revision v USING (tenant_id, domain, mobile_id)
       WHERE r.tenant_id = $1 AND r.mobile_id = ANY($2::uuid[]) GROUP BY r.mobile_id, r.version`,
      [tenant.id, records],
    );
    for (const row of rows) {
      expect(row.revisions).toBe(row.version);
      expect(row.first).toBe(1);
      expect(row.last).toBe(row.version);
    }
    const logged = await t.db.query(
      `SELECT id::text, resolution_result, winning_version FROM conflict_log WHERE tenant_id = $1 AND source = 'push'`,
      [tenant.id],
    );
    expect(logged).toHaveLength(95);
    expect(new Set(logged.map((row: { id: string }) => row.id))).toEqual(new Set(resolved.map((r) => r.conflict_id)));
    expect(logged.every((row: { resolution_result: string }) => row.resolution_result === 'resolved')).toBe(true);
    const items = await t.db.query(
      `SELECT status, count(*)::int AS n FROM sync_queue_item WHERE tenant_id = $1 AND device_id <> 'creator' GROUP BY status`,
      [tenant.id],
    );
    expect(items).toEqual([{ status: 'processed', n: 100 }]);
    // Client-wins-by-time: each record ends with the edit of the device with the latest timestamp.
    const finals = await t.db.query(
      `SELECT data->>'by' AS by FROM sync_record WHERE tenant_id = $1 AND mobile_id = ANY($2::uuid[])`,
      [tenant.id, records],
    );
    expect(finals.map((f: { by: string }) => f.by)).toEqual(records.map(() => 'device-19'));
    process.stdout.write(
      `concurrency: 20 devices x 5 records, ${applied.length} applied, ${resolved.length} conflicts resolved\n`,
    );
  });
});
