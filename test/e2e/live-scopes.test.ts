import { pushItem } from '../factories/records';
import { openStream, SseClient, SseEvent } from '../helpers/sse-client';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import type { Principal } from '../../src/common/auth/principal';
import { SyncService } from '../../src/modules/sync/sync.service';

type Change = {
  mobile_id: string;
  version?: number;
  removed?: boolean;
  reason?: string;
  data?: { people?: string };
};

/**
 * Per-key wake-ups: a technician's stream reads only when a commit touches one of its scope keys (its own records,
 * a reassignment to it, a change of its memberships); an admin's stream reads for every commit of the tenant.
 * Reads are counted on the SyncService the streams read through (same process), never timed.
 */
describe('live changes under sync scopes: a stream wakes for its own keys only', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const keys: Record<string, string> = {};
  const reads: Record<string, number> = {};
  const open: SseClient[] = [];
  const streamsOf: Record<string, SseClient[]> = {};

  beforeAll(async () => {
    t = await startTestApp('live_scopes', { STREAM_HEARTBEAT_MS: 60_000 });
    tenant = await t.createTenant();
    for (const user of ['tech-a', 'tech-b']) keys[user] = await tenant.syncKeyFor(user);
    for (const user of ['tech-a', 'tech-b']) {
      const put = await call(t, 'PUT', `/api/v1/users/${user}`, {
        key: tenant.adminKey,
        body: { memberships: [{ group: 'site:58', role: 'member' }] },
      });
      expect(put.status).toBe(200);
    }
    const sync = t.app.get(SyncService);
    const read = sync.read.bind(sync);
    jest.spyOn(sync, 'read').mockImplementation((principal: Principal, ...rest) => {
      const who = principal.userId ?? 'tenant';
      reads[who] = (reads[who] ?? 0) + 1;
      return read(principal, ...rest);
    });
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await t.close();
  });

  async function stream(user: string, device: string): Promise<SseClient> {
    const key = user === 'admin' ? tenant.adminKey : keys[user];
    const client = await openStream(`${t.url}/api/v1/sync/changes/stream`, {
      authorization: `Bearer ${key}`,
      'x-device-id': device,
    });
    expect(client.status).toBe(200);
    open.push(client);
    (streamsOf[user] ??= []).push(client);
    return client;
  }

  async function push(key: string, items: unknown[]): Promise<void> {
    const result = await call(t, 'POST', '/api/v1/sync/push', { key, device: 'console', body: { items } });
    expect(result.status).toBe(200);
    expect(result.body.results.map((r: { status: string }) => r.status)).not.toContain('rejected');
  }

  const workOrder = (people: string, mobileId?: string, baseVersion = 0) =>
    pushItem({
      domain: 'work_order',
      data: { people, bu: 58, status: 'OPEN' },
      base_version: baseVersion,
      ...(mobileId ? { mobile_id: mobileId } : {}),
    });
  const has =
    (mobileId: string, match: (change: Change) => boolean = () => true) =>
    (event: SseEvent) =>
      event.event === 'changes' &&
      event.data.changes.some((change: Change) => change.mobile_id === mobileId && match(change));
  const seen = (client: SseClient): Change[] =>
    client.events.flatMap((event) => (event.event === 'changes' ? (event.data.changes as Change[]) : []));

  it("does not read for a commit to another technician's record; wakes for its own and for a reassignment", async () => {
    const [a, b, admin] = [
      await stream('tech-a', 'phone-a'),
      await stream('tech-b', 'phone-b'),
      await stream('admin', 'console-screen'),
    ];
    const baseline = { ...reads };

    // tech-b's work order: tech-b's stream and the admin's read it; tech-a's does not even read.
    const other = workOrder('tech-b');
    await push(tenant.adminKey, [other]);
    await b.waitFor(has(other.mobile_id));
    await admin.waitFor(has(other.mobile_id));
    // tech-b's read follows the same wake-up as any read of tech-a's would (the flush wakes every reader in one
    // go, a read starts at once): once tech-b's event is here, a read by tech-a would have been counted.
    expect(reads['tech-a'] ?? 0).toBe(baseline['tech-a'] ?? 0);
    expect(reads['tech-b']).toBeGreaterThan(baseline['tech-b'] ?? 0);
    expect(reads['admin-user']).toBeGreaterThan(baseline['admin-user'] ?? 0);

    // Its own work order wakes it.
    const own = workOrder('tech-a');
    await push(tenant.adminKey, [own]);
    await a.waitFor(has(own.mobile_id));

    // Reassigning tech-b's work order to tech-a wakes both: one gains it, the other is told it left.
    await push(tenant.adminKey, [workOrder('tech-a', other.mobile_id, 1)]);
    await a.waitFor(has(other.mobile_id, (change) => change.version === 2));
    await b.waitFor(has(other.mobile_id, (change) => change.removed === true && change.reason === 'reassigned'));

    expect(seen(a).map((change) => change.mobile_id)).toEqual([own.mobile_id, other.mobile_id]);
    expect(seen(b).map((change) => [change.mobile_id, change.removed ?? false])).toEqual([
      [other.mobile_id, false],
      [other.mobile_id, true],
    ]);
  });

  it('wakes on a membership change: a back-fill of the group it joined, a removal of the group it left', async () => {
    const teamTask = pushItem({ data: { people: 'someone-else', pgroup: 9, bu: 77 } });
    const a = await stream('tech-a', 'phone-a2');
    const b = await stream('tech-b', 'phone-b2');
    const before = reads['tech-a'];
    await push(tenant.adminKey, [teamTask]);
    // Nobody here reads group 9 yet: a commit the admin's stream hears, tech-a's stream does not read.
    const admin = await stream('admin', 'console-2');
    await admin.waitFor(has(teamTask.mobile_id));
    expect(reads['tech-a']).toBe(before);

    const join = await call(t, 'PUT', '/api/v1/users/tech-a', {
      key: tenant.adminKey,
      body: {
        memberships: [
          { group: 'site:58', role: 'member' },
          { group: 'group:9', role: 'member' },
        ],
      },
    });
    expect(join.status).toBe(200);
    await a.waitFor(has(teamTask.mobile_id, (change) => !change.removed));

    // Now a change of the team task reaches it through the key it gained.
    await push(tenant.adminKey, [
      {
        ...pushItem({ data: { people: 'someone-else', pgroup: 9, bu: 77, note: 'x' } }),
        mobile_id: teamTask.mobile_id,
        base_version: 1,
      },
    ]);
    await a.waitFor(has(teamTask.mobile_id, (change) => change.version === 2));

    const leave = await call(t, 'PUT', '/api/v1/users/tech-a', {
      key: tenant.adminKey,
      body: { memberships: [{ group: 'site:58', role: 'member' }] },
    });
    expect(leave.status).toBe(200);
    await a.waitFor(has(teamTask.mobile_id, (change) => change.removed === true && change.reason === 'access_revoked'));
    // tech-b never read group 9.
    expect(seen(b).map((change) => change.mobile_id)).not.toContain(teamTask.mobile_id);
  });

  it('long-polls the same way: a commit to another technician does not end the wait, its own does', async () => {
    const start = await call(t, 'GET', '/api/v1/sync/pull?limit=1000', { key: keys['tech-a'], device: 'poller' });
    const waiting = call(t, 'POST', '/api/v1/sync/pull', {
      key: keys['tech-a'],
      device: 'poller',
      body: { cursor: start.body.next_cursor, wait: 60 },
    });
    const b = await stream('tech-b', 'phone-b3');
    const other = workOrder('tech-b');
    await push(tenant.adminKey, [other]);
    // Once tech-b's stream has it, the signal went through the hub; had it woken the poll, the poll would answer
    // its (empty) second read now, without the work order below.
    await b.waitFor(has(other.mobile_id));
    const own = workOrder('tech-a');
    await push(tenant.adminKey, [own]);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body.changes.map((change: Change) => change.mobile_id)).toEqual([own.mobile_id]);
  });

  it('never sends a change outside the caller’s scope', () => {
    const foreign: Record<string, string> = { 'tech-a': 'tech-b', 'tech-b': 'tech-a' };
    for (const [user, clients] of Object.entries(streamsOf)) {
      if (!foreign[user]) continue;
      const changes = clients.flatMap(seen).filter((change) => !change.removed);
      expect(changes.length).toBeGreaterThan(0);
      for (const change of changes) expect(change.data?.people).not.toBe(foreign[user]);
    }
  });
});
