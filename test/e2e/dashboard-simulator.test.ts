import { PassThrough } from 'node:stream';
import {
  expireDevice,
  optionsFromArgs,
  simulate,
  SimulateError,
  SimulateOptions,
  SimulateSummary,
} from '../../scripts/simulate';
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

  /**
   * Runs the simulator against the test server. On PostgreSQL it creates the tenant and makes time pass for the
   * sleeping phone through DATABASE_URL itself; on the embedded database (one process) the test creates the tenant
   * and lends it the running app for the purge.
   */
  async function run(devices: number, minutes: number, name: string) {
    const progress = output();
    const lines: string[] = [];
    const args = ['--url', t.url, '--devices', String(devices), '--minutes', String(minutes), '--seed', '42'];
    args.push('--tenant-name', name);
    const env: Record<string, string | undefined> = {};
    if (usingPostgres) Object.assign(env, databaseEnv(t.database));
    else args.push('--admin-key', (await t.createTenant(name)).adminKey);
    const options: SimulateOptions = {
      ...optionsFromArgs(args, env),
      progress: progress.stream,
      print: (line) => lines.push(line),
      ...(usingPostgres ? {} : { expireDevice: (tenant, device) => expireDevice(t.app, tenant, device) }),
    };
    const summary = await simulate(options);
    return { summary, progress: progress.text(), printed: lines.join('\n') };
  }

  /** The records the server holds in a technician's scope (member of its site and team): ids of live records. */
  async function serverScope(tenantId: string, keys: string[]): Promise<string[]> {
    const rows: Array<{ mobile_id: string }> = await t.db.query(
      `SELECT DISTINCT r.mobile_id FROM sync_record r
       JOIN record_scope s ON s.tenant_id = r.tenant_id AND s.domain = r.domain AND s.mobile_id = r.mobile_id
       WHERE r.tenant_id = $1 AND NOT r.deleted AND s.scope_key = ANY($2::text[])`,
      [tenantId, keys],
    );
    return rows.map((row) => row.mobile_id).sort();
  }

  const phone = (summary: SimulateSummary, user: string) => summary.phones.find((p) => p.user === user)!;

  it(`drives technicians' phones of a directory, with conflicts, partial syncs, reassignments and a phone that sleeps past the purge horizon (${
    usingPostgres ? 'creates the tenant in PostgreSQL' : 'with --admin-key'
  })`, async () => {
    const { summary, progress, printed } = await run(3, 0.2, 'Sim smoke');

    // The error samples the summary prints, so a failure says what went wrong.
    expect({ errors: summary.counts.errors, samples: printed.match(/error sample: .*/g) }).toEqual({
      errors: 0,
      samples: null,
    });
    expect(summary.counts.pushes).toBeGreaterThan(3);
    expect(summary.counts.conflicts).toBeGreaterThan(0);
    expect(summary.counts.pulls + summary.counts.partials).toBeGreaterThan(0);
    expect(summary.snapshotId).toEqual(expect.any(String));

    // The directory: one site with its supervisor, three technicians and the sleeping phone's technician.
    const users = await call(t, 'GET', '/api/v1/users?limit=100', { key: summary.adminKey });
    expect(users.status).toBe(200);
    const byId = new Map((users.body.items as Array<Record<string, any>>).map((u) => [u.user_id, u]));
    expect([...byId.keys()].sort()).toEqual(['4100', '4101', '4102', '4103', 'sup-58']);
    expect(byId.get('4101')!.memberships).toEqual(
      expect.arrayContaining([
        { group: 'site:58', role: 'member' },
        { group: 'group:7', role: 'member' },
      ]),
    );
    expect(byId.get('sup-58')!.memberships).toEqual(expect.arrayContaining([{ group: 'site:58', role: 'supervisor' }]));
    // Every phone's key is bound to its technician: device health is kept per user.
    const devices: Array<{ user_id: string; device_id: string }> = await t.db.query(
      `SELECT user_id, device_id FROM sync_device_health WHERE tenant_id = $1 ORDER BY device_id`,
      [summary.tenantId],
    );
    expect(devices).toHaveLength(5); // three phones, the sleeping one, the control room
    for (const row of devices) {
      expect(row.user_id).toBe(row.device_id.startsWith('control-room') ? 'sup-58' : row.device_id.split('-').pop());
    }

    // The phone that slept: a 410, the replacement sync, its offline edit kept, and the server's records in the end.
    expect(summary.sleeper).toMatchObject({
      user: '4100',
      pullStatus: 410,
      offlineEdit: 'applied',
      matchesServer: true,
      deletedGone: true,
    });
    expect(summary.sleeper!.snapshotPages).toBeGreaterThanOrEqual(1);
    expect(summary.counts.resyncs).toBe(1);
    expect(phone(summary, '4100').holds.sort()).toEqual(
      await serverScope(summary.tenantId, ['u:4100', 'g:site:58:member', 'g:group:7:member']),
    );
    const [edited] = await t.db.query(
      `SELECT version, data->>'content' AS content FROM sync_record WHERE tenant_id = $1 AND domain = 'journal' AND data->>'user' = '4100'`,
      [summary.tenantId],
    );
    expect(edited).toMatchObject({ version: 2, content: expect.stringMatching(/Update \d\d:\d\d\.$/) });

    const [records] = await t.db.query(`SELECT count(*)::int AS n FROM sync_record WHERE tenant_id = $1`, [
      summary.tenantId,
    ]);
    const [conflicts] = await t.db.query(`SELECT count(*)::int AS n FROM conflict_log WHERE tenant_id = $1`, [
      summary.tenantId,
    ]);
    expect(records.n).toBeGreaterThan(3);
    expect(conflicts.n).toBeGreaterThan(0);
    const dashboard = await call(t, 'GET', '/api/sync/dashboard/', { key: summary.adminKey });
    expect(dashboard.body.latest_snapshot).toMatchObject({ id: summary.snapshotId });
    expect(dashboard.body.latest_snapshot.total_conflicts).toBeGreaterThan(0);
    const policies = await call(t, 'GET', '/api/v1/conflict-policies', { key: summary.adminKey });
    expect(policies.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ domain: 'work_order', auto_resolve: false, source: 'tenant' }),
      ]),
    );
    expect(progress).toMatch(/100% .*pushes \d+/);
    expect(printed).toContain('pull after sleeping → 410');
    expect(printed).toContain(`Dashboard: ${t.url}/dashboard`);
    expect(printed).toContain(summary.adminKey);
  }, 120_000);

  it('shows a reassigned work order leaving one technician\'s phone (removal "reassigned") and reaching the other\'s', async () => {
    const { summary, printed } = await run(2, 0.15, 'Sim two phones');
    expect({ errors: summary.counts.errors, samples: printed.match(/error sample: .*/g) }).toEqual({
      errors: 0,
      samples: null,
    });
    expect(summary.reassignments.length).toBeGreaterThanOrEqual(1);
    const reassigned = new Set(summary.reassignments.map((r) => r.mobile_id));
    expect(summary.reassignmentsConfirmed).toBe(reassigned.size);

    const last = summary.reassignments[summary.reassignments.length - 1];
    expect([last.from, last.to].sort()).toEqual(['4101', '4102']);
    const from = phone(summary, last.from);
    const to = phone(summary, last.to);
    expect(from.holds).not.toContain(last.mobile_id);
    expect(from.removals).toContainEqual({ mobile_id: last.mobile_id, reason: 'reassigned' });
    expect(to.holds).toContain(last.mobile_id);
    // The server agrees: the work order names the new technician and holds its key, not the old one's.
    const [record] = await t.db.query(
      `SELECT data->>'people' AS people FROM sync_record WHERE tenant_id = $1 AND mobile_id = $2`,
      [summary.tenantId, last.mobile_id],
    );
    expect(record.people).toBe(last.to);
    const keys: Array<{ scope_key: string }> = await t.db.query(
      `SELECT scope_key FROM record_scope WHERE tenant_id = $1 AND mobile_id = $2`,
      [summary.tenantId, last.mobile_id],
    );
    expect(keys.map((k) => k.scope_key)).toContain(`u:${last.to}`);
    expect(keys.map((k) => k.scope_key)).not.toContain(`u:${last.from}`);
  }, 120_000);
});
