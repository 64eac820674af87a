import { randomUUID } from 'node:crypto';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { writeScoped } from '../helpers/scoped-records';
import { ScopeApplyService } from '../../src/modules/scope/scope-apply.service';
import { SyncRecordRepository } from '../../src/modules/sync/sync-record.repository';

type Entry = { domain: string; mobile_id: string; version?: number; removed?: boolean; reason?: string };

describe('scoped pull (three users of one tenant)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const keys: Record<string, string> = {};
  const cursors: Record<string, string | null> = {};

  beforeAll(async () => {
    t = await startTestApp('scopes_pull');
    tenant = await t.createTenant();
    for (const user of ['tech-a', 'tech-b', 'sup']) keys[user] = await tenant.syncKeyFor(user);
    const put = (user: string, memberships: Array<{ group: string; role: string }>) =>
      call(t, 'PUT', `/api/v1/users/${user}`, { key: tenant.adminKey, body: { memberships } });
    await put('tech-a', [
      { group: 'site:58', role: 'member' },
      { group: 'group:7', role: 'member' },
    ]);
    await put('tech-b', [
      { group: 'site:58', role: 'member' },
      { group: 'group:7', role: 'member' },
    ]);
    await put('sup', [{ group: 'site:58', role: 'supervisor' }]);
  });
  afterAll(() => t.close());

  /** Pulls every page after the user's cursor, alternating GET and POST, and keeps the cursor. */
  async function pullAll(user: string, limit = 2): Promise<Entry[]> {
    const entries: Entry[] = [];
    for (let page = 0; page < 50; page++) {
      const cursor = cursors[user];
      const result =
        page % 2 === 0
          ? await call(t, 'GET', `/api/v1/sync/pull?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, {
              key: keys[user],
            })
          : await call(t, 'POST', '/api/v1/sync/pull', { key: keys[user], body: { limit, cursor } });
      expect(result.status).toBe(200);
      entries.push(...(result.body.changes as Entry[]));
      cursors[user] = result.body.next_cursor;
      if (!result.body.has_more) return entries;
    }
    throw new Error('the feed never ended');
  }

  const ids = (entries: Entry[]) =>
    entries
      .filter((e) => !e.removed)
      .map((e) => e.mobile_id)
      .sort();
  const removals = (entries: Entry[]) =>
    entries.filter((e) => e.removed).map((e) => ({ mobile_id: e.mobile_id, reason: e.reason }));

  const privateJournal = randomUUID();
  const teamJournal = randomUUID();
  const teamTask = randomUUID();
  const workOrder = randomUUID();
  const otherSite = randomUUID();

  it('gives each user exactly what the rules allow', async () => {
    await writeScoped(t, tenant.id, [
      {
        domain: 'journal',
        mobileId: privateJournal,
        version: 1,
        data: { user: 'tech-a', privacy_scope: 'private' },
        userId: 'tech-a',
      },
      {
        domain: 'journal',
        mobileId: teamJournal,
        version: 1,
        data: { user: 'tech-a', privacy_scope: 'team' },
        userId: 'tech-a',
      },
      {
        domain: 'task',
        mobileId: teamTask,
        version: 1,
        data: { people: 'tech-b', pgroup: 7, bu: 58 },
        userId: 'admin-user',
      },
      {
        domain: 'work_order',
        mobileId: workOrder,
        version: 1,
        data: { people: 'tech-a', bu: 58 },
        userId: 'admin-user',
      },
      {
        domain: 'work_order',
        mobileId: otherSite,
        version: 1,
        data: { people: 'someone', bu: 99 },
        userId: 'admin-user',
      },
    ]);
    expect(ids(await pullAll('tech-a'))).toEqual([privateJournal, teamJournal, teamTask, workOrder].sort());
    expect(ids(await pullAll('tech-b'))).toEqual([teamJournal, teamTask].sort());
    // A supervisor also reads what the members of its groups read.
    expect(ids(await pullAll('sup'))).toEqual([teamJournal, teamTask, workOrder].sort());
    const all = await call(t, 'GET', '/api/v1/sync/pull?limit=100', { key: tenant.adminKey });
    expect(all.body.changes).toHaveLength(5);
  });

  it('limits a replacement sync (snapshot) to the same records as the pull', async () => {
    const snapshotIds = async (key: string): Promise<string[]> => {
      const result = await call(t, 'GET', '/api/v1/sync/snapshot?limit=100', { key, device: 'snapshot-phone' });
      expect(result.status).toBe(200);
      expect(result.body.estimated_total).toBe(result.body.changes.length);
      return result.body.changes.map((change: { mobile_id: string }) => change.mobile_id).sort();
    };
    expect(await snapshotIds(keys['tech-b'])).toEqual([teamJournal, teamTask].sort());
    expect(await snapshotIds(keys['tech-a'])).toEqual([privateJournal, teamJournal, teamTask, workOrder].sort());
    expect(await snapshotIds(tenant.adminKey)).toHaveLength(5);
  });

  it('moves a reassigned work order from the old technician to the new one', async () => {
    await writeScoped(t, tenant.id, [
      {
        domain: 'work_order',
        mobileId: workOrder,
        version: 2,
        data: { people: 'tech-b', bu: 58 },
        userId: 'admin-user',
      },
    ]);
    const a = await pullAll('tech-a');
    expect(removals(a)).toEqual([{ mobile_id: workOrder, reason: 'reassigned' }]);
    expect(ids(a)).toEqual([]);
    const b = await pullAll('tech-b');
    expect(b).toEqual([expect.objectContaining({ mobile_id: workOrder, version: 2 })]);
    expect(await pullAll('sup')).toEqual([expect.objectContaining({ mobile_id: workOrder, version: 2 })]);
  });

  it('sends a deletion as a tombstone to those who could read the record', async () => {
    await writeScoped(t, tenant.id, [
      { domain: 'task', mobileId: teamTask, version: 2, data: {}, deleted: true, userId: 'admin-user' },
    ]);
    for (const user of ['tech-a', 'tech-b', 'sup']) {
      expect(await pullAll(user)).toEqual([expect.objectContaining({ mobile_id: teamTask, deleted: true })]);
    }
  });

  it('removes what a supervisor could read only through the team it left (access_revoked)', async () => {
    await call(t, 'PUT', '/api/v1/users/sup', { key: tenant.adminKey, body: { memberships: [] } });
    const entries = await pullAll('sup');
    expect(removals(entries).sort((x, y) => x.mobile_id.localeCompare(y.mobile_id))).toEqual(
      [teamJournal, teamTask, workOrder].sort().map((mobile_id) => ({ mobile_id, reason: 'access_revoked' })),
    );
    expect(ids(entries)).toEqual([]);
  });

  it('back-fills the records of a membership gained, on the next pulls, without a resync', async () => {
    const site60 = [randomUUID(), randomUUID(), randomUUID()];
    await writeScoped(
      t,
      tenant.id,
      site60.map((mobileId) => ({
        domain: 'work_order' as const,
        mobileId,
        version: 1,
        data: { people: 'someone', bu: 60 },
        userId: 'admin-user',
      })),
    );
    expect(await pullAll('sup')).toEqual([]);
    await call(t, 'PUT', '/api/v1/users/sup', {
      key: tenant.adminKey,
      body: { memberships: [{ group: 'site:60', role: 'supervisor' }] },
    });
    expect(ids(await pullAll('sup', 2))).toEqual([...site60].sort());
    // The back-fill is done: later pulls bring only new changes.
    expect(await pullAll('sup')).toEqual([]);
    await writeScoped(t, tenant.id, [
      { domain: 'work_order', mobileId: site60[0], version: 2, data: { people: 'x', bu: 60 }, userId: 'admin-user' },
    ]);
    expect(ids(await pullAll('sup'))).toEqual([site60[0]]);
  });

  it('applies a new rules version in the background, as rules_changed additions and removals', async () => {
    const siteTask = randomUUID();
    await writeScoped(t, tenant.id, [
      {
        domain: 'task',
        mobileId: siteTask,
        version: 1,
        data: { people: 'x', pgroup: 8, bu: 58 },
        userId: 'admin-user',
      },
    ]);
    expect(await pullAll('tech-a')).toEqual([]);
    await pullAll('sup');
    const put = await call(t, 'PUT', '/api/v1/sync-rules', {
      key: tenant.adminKey,
      body: {
        rules: {
          // Site members now read the site's tasks; site supervisors no longer read work orders.
          task: {
            users: ['people'],
            groups: [
              { field: 'pgroup', group: 'group', role: 'member' },
              { field: 'bu', group: 'site', role: 'member' },
            ],
            creator: true,
            owner_groups: null,
            supervisor_only: [],
          },
          work_order: {
            users: ['people', 'approvers', 'verifiers'],
            groups: [],
            creator: true,
            owner_groups: null,
            supervisor_only: ['people', 'bu', 'approvers', 'verifiers'],
          },
        },
      },
    });
    expect(put.status).toBe(202);
    expect((await call(t, 'GET', '/api/v1/sync-rules', { key: tenant.adminKey })).body).toMatchObject({
      applied: false,
    });
    const apply = t.app.get(ScopeApplyService);
    while ((await apply.applyBatch(tenant.id, 3)) === 'more');
    const state = await call(t, 'GET', '/api/v1/sync-rules', { key: tenant.adminKey });
    expect(state.body).toMatchObject({ applied: true });
    expect(state.body.progress.records_done).toBe(state.body.progress.records_total);
    expect(await pullAll('tech-a')).toEqual([expect.objectContaining({ mobile_id: siteTask, version: 1 })]);
    const sup = await pullAll('sup');
    expect(sup.length).toBe(3);
    expect(sup.every((e) => e.removed === true && e.reason === 'rules_changed')).toBe(true);
  });

  it('reports records whose keys differ from the rules and fixes them only when asked', async () => {
    const apply = t.app.get(ScopeApplyService);
    expect(await apply.check(tenant.id)).toEqual([expect.objectContaining({ differing: 0 })]);
    await pullAll('tech-b');
    // A record stored before scopes existed holds no keys.
    const legacy = randomUUID();
    await t.app.get(SyncRecordRepository).write(t.db, tenant.id, [
      {
        domain: 'work_order',
        mobileId: legacy,
        version: 1,
        data: { people: 'tech-b', bu: 58 },
        deleted: false,
        clientUpdatedAt: null,
        userId: 'admin-user',
        deviceId: null,
        clientMutationId: null,
        origin: 'manual',
      },
    ]);
    const [report] = await apply.check(tenant.id);
    expect(report).toMatchObject({
      differing: 1,
      sample: [expect.objectContaining({ mobile_id: legacy, stored: [] })],
    });
    expect(await pullAll('tech-b')).toEqual([]);
    await apply.check(tenant.id, { fix: true });
    await apply.applyPending();
    expect(await apply.check(tenant.id)).toEqual([expect.objectContaining({ differing: 0 })]);
    expect(await pullAll('tech-b')).toEqual([expect.objectContaining({ mobile_id: legacy })]);
  });

  it('still accepts a cursor of the first format and refuses a forged one', async () => {
    const v1 = Buffer.from('cs1:0', 'utf8').toString('base64url');
    const result = await call(t, 'GET', `/api/v1/sync/pull?cursor=${v1}`, { key: keys['tech-b'] });
    expect(result.status).toBe(200);
    expect(ids(result.body.changes)).toContain(workOrder);
    const forged = Buffer.from('cs2:1:1:x:work_order::g:site:58', 'utf8').toString('base64url');
    expect((await call(t, 'GET', `/api/v1/sync/pull?cursor=${forged}`, { key: keys['tech-b'] })).status).toBe(400);
  });

  it('keeps delta pulls working for a scoped user', async () => {
    const first = await call(t, 'POST', '/api/v1/sync/pull', {
      key: keys['tech-b'],
      body: { limit: 100, delta: true, known_versions: { [workOrder]: 1 } },
    });
    expect(first.status).toBe(200);
    const change = (first.body.changes as Array<Entry & { patch?: unknown; data?: unknown }>).find(
      (e) => e.mobile_id === workOrder,
    );
    expect(change).toMatchObject({ version: 2 });
    expect(change?.patch ?? change?.data).toBeDefined();
  });
});
