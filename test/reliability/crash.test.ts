import { Client } from 'pg';
import { AppConfig } from '../../src/config/app-config';
import { TenantService } from '../../src/modules/tenant/tenant.service';
import { pushItem } from '../factories/records';
import { startServerProcess } from '../helpers/server-process';
import { startTestApp, TestApp } from '../helpers/test-app';
import { databaseEnv, describeWithPostgres } from '../helpers/test-database';

describeWithPostgres('crash in the middle of a large push (SIGKILL)', () => {
  let setup: TestApp;
  let url: string;

  beforeAll(async () => {
    // The in-process app only prepares the database (migrations, tenant, key); the pushes go to a separate process.
    setup = await startTestApp('crash');
    url = setup.database.url!;
  });
  afterAll(() => setup.close());

  async function state(
    tenantId: string,
  ): Promise<{ pending: number; processed: number; withResult: number; records: number; revisions: number }> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT
           (SELECT count(*) FROM sync_queue_item WHERE tenant_id = $1 AND status = 'pending')::int AS pending,
           (SELECT count(*) FROM sync_queue_item WHERE tenant_id = $1 AND status <> 'pending')::int AS processed,
           (SELECT count(*) FROM sync_queue_item WHERE tenant_id = $1 AND status <> 'pending' AND result IS NOT NULL)::int AS "withResult",
           (SELECT count(*) FROM sync_record WHERE tenant_id = $1)::int AS records,
           (SELECT count(*) FROM sync_record_revision WHERE tenant_id = $1)::int AS revisions`,
        [tenantId],
      );
      return rows[0];
    } finally {
      await client.end();
    }
  }

  it('leaves no batch half-applied, and a re-push completes it', async () => {
    const tenants = setup.app.get(TenantService);
    const tenant = await tenants.createTenant('crash');
    const key = (await tenants.createApiKey(tenant.id, ['sync'], 'tech')).key;
    const env = {
      ...databaseEnv(setup.database),
      MIGRATIONS_RUN: 'false',
      JWT_SECRET: 'x'.repeat(32),
      RATE_LIMIT_PER_MINUTE: '100000',
    };
    const config = AppConfig.fromEnv(env);
    expect(config.get('DATABASE_URL')).toBe(url);

    const batches = [...Array(4)].map(() => [...Array(1000)].map(() => pushItem()));
    const server = await startServerProcess(env);
    const send = (target: string, items: unknown[]) =>
      fetch(`${target}/api/v1/sync/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'x-device-id': 'tablet-1', 'content-type': 'application/json' },
        body: JSON.stringify({ items }),
      });
    expect((await send(server.url, batches[0])).status).toBe(200);
    const inFlight = batches.slice(1).map((items) =>
      send(server.url, items).then(
        (r) => r.status,
        () => 'killed',
      ),
    );
    await new Promise((done) => setTimeout(done, 250));
    await server.kill();
    const outcomes = await Promise.all(inFlight);

    const afterCrash = await state(tenant.id);
    process.stdout.write(`crash: ${JSON.stringify(outcomes)} -> after SIGKILL ${JSON.stringify(afterCrash)}\n`);
    // Whole batches only: items are either applied with their revision and result, or still pending.
    expect(afterCrash.processed).toBe(afterCrash.withResult);
    expect(afterCrash.records).toBe(afterCrash.processed);
    expect(afterCrash.revisions).toBe(afterCrash.processed);
    expect(afterCrash.processed % 1000).toBe(0);
    expect(afterCrash.processed).toBeGreaterThanOrEqual(1000);
    expect((afterCrash.processed + afterCrash.pending) % 1000).toBe(0);

    const restarted = await startServerProcess(env);
    try {
      for (const items of batches) expect((await send(restarted.url, items)).status).toBe(200);
    } finally {
      await restarted.stop();
    }
    const final = await state(tenant.id);
    expect(final).toEqual({ pending: 0, processed: 4000, withResult: 4000, records: 4000, revisions: 4000 });
  }, 180_000);
});
