import { PassThrough } from 'node:stream';
import { optionsFromArgs, simulate, SimulateError, SimulateOptions } from '../../scripts/simulate';
import { databaseEnv, usingPostgres } from '../helpers/test-database';
import { call, startTestApp, TestApp } from '../helpers/test-app';

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('the device simulator (npm run simulate)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('dashboard_simulator');
  });
  afterAll(() => t.close());

  it('reads its options from the command line', () => {
    expect(
      optionsFromArgs(['--devices', '3', '--minutes', '0.1', '--url', 'http://x:1', '--admin-key', 'fsk_a'], {}),
    ).toMatchObject({ devices: 3, minutes: 0.1, url: 'http://x:1', adminKey: 'fsk_a' });
    expect(optionsFromArgs([], { PORT: '4000' })).toMatchObject({
      devices: 50,
      minutes: 5,
      url: 'http://localhost:4000',
    });
    expect(() => optionsFromArgs(['--devices', '0'], {})).toThrow(SimulateError);
    expect(() => optionsFromArgs(['--admin-key', 'secret'], {})).toThrow('fsk_');
  });

  it('explains how to get an admin key when it cannot create the tenant (embedded database)', async () => {
    const progress = output();
    await expect(
      simulate({
        ...optionsFromArgs(['--url', t.url, '--devices', '1', '--minutes', '0'], {}),
        progress: progress.stream,
        print: () => undefined,
      }),
    ).rejects.toThrow(/npm run cli -- tenant:create[\s\S]*--admin-key/);
  });

  it(`drives devices that push with conflicts, pull and sync partially, then snapshot (${
    usingPostgres ? 'creates the tenant in PostgreSQL' : 'with --admin-key'
  })`, async () => {
    const progress = output();
    const lines: string[] = [];
    const args = ['--url', t.url, '--devices', '3', '--minutes', '0.2', '--seed', '42', '--tenant-name', 'Sim smoke'];
    const env: Record<string, string | undefined> = {};
    if (usingPostgres) Object.assign(env, databaseEnv(t.database));
    else args.push('--admin-key', (await t.createTenant('Sim smoke')).adminKey);
    const options: SimulateOptions = {
      ...optionsFromArgs(args, env),
      progress: progress.stream,
      print: (line) => lines.push(line),
    };

    const summary = await simulate(options);

    expect(summary.counts).toMatchObject({ errors: 0 });
    expect(summary.counts.pushes).toBeGreaterThan(3);
    expect(summary.counts.conflicts).toBeGreaterThan(0);
    expect(summary.counts.pulls + summary.counts.partials).toBeGreaterThan(0);
    expect(summary.snapshotId).toEqual(expect.any(String));
    const [records] = await t.db.query(`SELECT count(*)::int AS n FROM sync_record WHERE tenant_id = $1`, [
      summary.tenantId,
    ]);
    const [conflicts] = await t.db.query(`SELECT count(*)::int AS n FROM conflict_log WHERE tenant_id = $1`, [
      summary.tenantId,
    ]);
    const [devices] = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT network_type)::int AS networks FROM sync_device_health WHERE tenant_id = $1`,
      [summary.tenantId],
    );
    expect(records.n).toBeGreaterThan(3);
    expect(conflicts.n).toBeGreaterThan(0);
    expect(devices.n).toBe(4); // three phones and the control room
    const dashboard = await call(t, 'GET', '/api/sync/dashboard/', { key: summary.adminKey });
    expect(dashboard.body.latest_snapshot).toMatchObject({ id: summary.snapshotId });
    expect(dashboard.body.latest_snapshot.total_conflicts).toBeGreaterThan(0);
    const policies = await call(t, 'GET', '/api/v1/conflict-policies', { key: summary.adminKey });
    expect(policies.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ domain: 'work_order', auto_resolve: false, source: 'tenant' }),
      ]),
    );
    expect(progress.text()).toMatch(/100% .*pushes \d+/);
    expect(lines.join('\n')).toContain(`Dashboard: ${t.url}/dashboard`);
    expect(lines.join('\n')).toContain(summary.adminKey);
  }, 90_000);
});
