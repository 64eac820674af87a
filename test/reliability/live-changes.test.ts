import { pushItem } from '../factories/records';
import { startServerProcess, ServerProcess } from '../helpers/server-process';
import { openStream, SseClient, SseEvent } from '../helpers/sse-client';
import { startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { databaseEnv, describeWithPostgres } from '../helpers/test-database';

describeWithPostgres('live changes across replicas (LISTEN/NOTIFY)', () => {
  let setup: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let replicaA: ServerProcess;
  let replicaB: ServerProcess;
  const open: SseClient[] = [];

  beforeAll(async () => {
    setup = await startTestApp('live-replicas');
    tenant = await setup.createTenant();
    other = await setup.createTenant();
    const env = {
      ...databaseEnv(setup.database),
      MIGRATIONS_RUN: 'false',
      RATE_LIMIT_PER_MINUTE: '100000',
      STREAM_HEARTBEAT_MS: '500',
      STREAM_RETRY_MS: '2000',
    };
    [replicaA, replicaB] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 120_000);
  afterAll(async () => {
    for (const client of open) client.close();
    await Promise.all([replicaA?.kill(), replicaB?.kill()]);
    await setup.close();
  });

  async function stream(server: ServerProcess, key: string, headers: Record<string, string> = {}) {
    const client = await openStream(`${server.url}/api/v1/sync/changes/stream`, {
      authorization: `Bearer ${key}`,
      ...headers,
    });
    expect(client.status).toBe(200);
    open.push(client);
    return client;
  }

  async function push(server: ServerProcess, key: string, items: unknown[]): Promise<void> {
    const response = await fetch(`${server.url}/api/v1/sync/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'x-device-id': 'tablet', 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    expect(response.status).toBe(200);
  }

  const changed = (mobileId: string) => (event: SseEvent) =>
    event.event === 'changes' &&
    event.data.changes.some((change: { mobile_id: string }) => change.mobile_id === mobileId);

  it('a client on replica A receives a change committed through replica B, and no other tenant’s', async () => {
    const client = await stream(replicaA, tenant.syncKey);
    await client.waitFor((event) => event.event === 'heartbeat', 3000);
    const foreign = pushItem();
    await push(replicaB, other.syncKey, [foreign]);
    const item = pushItem();
    const pushed = Date.now();
    await push(replicaB, tenant.syncKey, [item]);
    await client.waitFor(changed(item.mobile_id), 3000);
    process.stdout.write(`cross-replica: event ${Date.now() - pushed} ms after the push answered\n`);
    expect(client.events.some(changed(foreign.mobile_id))).toBe(false);
  });

  it('keeps streams open when the listen connection is terminated, and delivers later changes', async () => {
    const client = await stream(replicaA, tenant.syncKey);
    let ended = false;
    void client.ended.then(() => (ended = true));
    const killed: Array<{ pid: number }> = await setup.db.query(
      `SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE application_name = 'fieldsync-listen' AND datname = current_database()`,
    );
    expect(killed.length).toBeGreaterThanOrEqual(2);
    const item = pushItem();
    await push(replicaB, tenant.syncKey, [item]);
    // Committed while A was not listening: A re-reads from the stream's cursor once its session is back.
    await client.waitFor(changed(item.mobile_id), 15_000);
    const later = pushItem();
    await push(replicaB, tenant.syncKey, [later]);
    await client.waitFor(changed(later.mobile_id), 5000);
    expect(ended).toBe(false);
    const listening: Array<{ pid: number }> = await setup.db.query(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'fieldsync-listen' AND datname = current_database()`,
    );
    expect(listening.length).toBe(killed.length);
    expect(listening.filter((row) => killed.some((gone) => gone.pid === row.pid))).toEqual([]);
  }, 30_000);

  it('resumes on another replica from Last-Event-ID with nothing missed', async () => {
    const first = await stream(replicaA, tenant.syncKey);
    const a = pushItem();
    await push(replicaA, tenant.syncKey, [a]);
    const seen = await first.waitFor(changed(a.mobile_id));
    first.close();
    const missed = [pushItem(), pushItem()];
    await push(replicaA, tenant.syncKey, [missed[0]]);
    await push(replicaB, tenant.syncKey, [missed[1]]);
    const again = await stream(replicaB, tenant.syncKey, { 'last-event-id': seen.id! });
    await again.waitFor(changed(missed[1].mobile_id));
    const ids = again.events.flatMap((event) =>
      event.event === 'changes' ? event.data.changes.map((change: { mobile_id: string }) => change.mobile_id) : [],
    );
    expect(ids).toEqual(missed.map((item) => item.mobile_id));
  });

  it('closes streams with a retry hint on SIGTERM, then exits cleanly', async () => {
    const client = await stream(replicaA, tenant.syncKey);
    const exit = replicaA.stop();
    const last = await client.waitFor((event) => event.event === 'shutdown', 10_000);
    expect(last.retry).toBe(2000);
    await client.ended;
    expect([0, 'SIGTERM']).toContain(await exit);
  }, 30_000);
});
