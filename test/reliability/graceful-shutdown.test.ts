import { TenantService } from '../../src/modules/tenant/tenant.service';
import { pushItem } from '../factories/records';
import { startServerProcess } from '../helpers/server-process';
import { startTestApp, TestApp } from '../helpers/test-app';
import { describeWithPostgres } from '../helpers/test-database';

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
      DATABASE_URL: setup.database.url!,
      MIGRATIONS_RUN: 'false',
      RATE_LIMIT_PER_MINUTE: '100000',
    });
    const inFlight = [...Array(12)].map((_, n) =>
      fetch(`${server.url}/api/v1/sync/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'x-device-id': `dev-${n}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [...Array(300)].map(() => pushItem()) }),
      }).then((response) => response.status),
    );
    await new Promise((done) => setTimeout(done, 150));
    const exitCode = server.stop();
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
