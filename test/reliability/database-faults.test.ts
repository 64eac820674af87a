import { Client } from 'pg';
import { pushItem } from '../factories/records';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { describeWithPostgres, serverUrl } from '../helpers/test-database';

describeWithPostgres('database faults under load', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let admin: Client;
  let database: string;

  beforeAll(async () => {
    t = await startTestApp('db_faults', { RATE_LIMIT_PER_MINUTE: 100000 });
    tenant = await t.createTenant();
    database = new URL(t.database.url!).pathname.slice(1);
    admin = new Client({ connectionString: serverUrl() });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.end();
    await t.close();
  });

  const terminate = () =>
    admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );

  it('answers 503 (never 500, never hangs) while connections die, reports it on /health/ready, and recovers', async () => {
    const statuses = new Map<number | string, number>();
    const bodies: unknown[] = [];
    let running = true;
    const worker = async (n: number): Promise<void> => {
      while (running) {
        const request =
          n % 2 === 0
            ? call(t, 'POST', '/api/v1/sync/push', {
                key: tenant.syncKey,
                device: `dev-${n}`,
                body: { items: [pushItem(), pushItem()] },
              })
            : call(t, 'GET', '/api/v1/sync/queue-status', { key: tenant.syncKey, device: `dev-${n}` });
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'hang'>((done) => (timer = setTimeout(() => done('hang'), 15_000)));
        const result = await Promise.race([request, timeout]);
        clearTimeout(timer);
        const status = result === 'hang' ? 'hang' : result.status;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (result !== 'hang' && result.status >= 500) bodies.push(result.body);
      }
    };
    const workers = [...Array(8)].map((_, n) => worker(n));
    await new Promise((done) => setTimeout(done, 500));
    await terminate();
    await new Promise((done) => setTimeout(done, 500));
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await terminate();
    await new Promise((done) => setTimeout(done, 300));
    const notReady = await call(t, 'GET', '/health/ready');
    await new Promise((done) => setTimeout(done, 700));
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    await new Promise((done) => setTimeout(done, 1000));
    running = false;
    await Promise.all(workers);

    process.stdout.write(
      `database faults: statuses ${JSON.stringify(Object.fromEntries(statuses))}, ready during outage ${notReady.status}\n`,
    );
    expect(notReady.status).toBe(503);
    expect(notReady.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect([...statuses.keys()].every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    for (const body of bodies)
      expect(body).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE', request_id: expect.any(String) } });

    expect((await call(t, 'GET', '/health/ready')).status).toBe(200);
    const after = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'after',
      body: { items: [pushItem()] },
    });
    expect(after.status).toBe(200);
    expect(after.body.results[0].status).toBe('applied');
  }, 60_000);
});
