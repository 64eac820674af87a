import { Client } from 'pg';
import { advisoryKey } from '../../src/database/advisory-lock';
import { TenantService } from '../../src/modules/tenant/tenant.service';
import { pushItem } from '../factories/records';
import { startServerProcess } from '../helpers/server-process';
import { startTestApp, TestApp } from '../helpers/test-app';
import { databaseEnv, describeWithPostgres } from '../helpers/test-database';

describeWithPostgres('graceful shutdown (SIGTERM)', () => {
  let setup: TestApp;

  beforeAll(async () => {
    setup = await startTestApp('graceful');
  });
  afterAll(() => setup.close());

  it('finishes the requests in flight, then exits cleanly', async () => {
    const tenants = setup.app.get(TenantService);
    const tenant = await tenants.createTenant('graceful');
    const key = (await tenants.createApiKey(tenant.id, ['sync'], 'tech')).key;
    const server = await startServerProcess({
      ...databaseEnv(setup.database),
      MIGRATIONS_RUN: 'false',
      RATE_LIMIT_PER_MINUTE: '100000',
      DB_POOL_SIZE: '16',
    });
    // Each push first takes its device's lock: holding the 12 locks here keeps all 12 requests inside the server
    // (received, in their transactions) until SIGTERM has been sent. Waiting a fixed time instead raced on a loaded
    // machine: a request not yet read when the server closes is refused, which is right, and failed the test.
    const locks = new Client({ connectionString: setup.database.directUrl });
    await locks.connect();
    for (let n = 0; n < 12; n++) {
      await locks.query('SELECT pg_advisory_lock($1::bigint)', [advisoryKey(`push:${tenant.id}:tech:dev-${n}`)]);
    }
    const inFlight = [...Array(12)].map((_, n) =>
      fetch(`${server.url}/api/v1/sync/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'x-device-id': `dev-${n}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [...Array(300)].map(() => pushItem()) }),
      }).then((response) => response.status),
    );
    for (let waiting = 0; waiting < 12;) {
      await new Promise((done) => setTimeout(done, 50));
      const row = await locks.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      waiting = row.rows[0].n;
    }
    const exitCode = server.stop();
    await new Promise((done) => setTimeout(done, 300));
    await locks.end();
    const statuses = await Promise.all(inFlight);
    const code = await exitCode;
    const stored = await setup.db.query(`SELECT count(*)::int AS n FROM sync_record WHERE tenant_id = $1`, [tenant.id]);
    process.stdout.write(
      `graceful shutdown: statuses ${JSON.stringify(statuses)}, exit ${code}, records ${stored[0].n}\n`,
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(stored[0].n).toBe(12 * 300);
    // Nest closes the app (HTTP server, then the pool) and re-raises SIGTERM; no crash, no forced kill.
    expect([0, 'SIGTERM']).toContain(code);
  }, 120_000);
});
