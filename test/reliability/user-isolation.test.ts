import { randomUUID } from 'node:crypto';
import { writeScoped } from '../helpers/scoped-records';
import { call, CallResult, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

/** Within one tenant: every pull variant of one user shows none of what only another user may read. */
describe('user × pull isolation matrix (one tenant)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const marker = `secret-${randomUUID()}`;
  const hidden = [randomUUID(), randomUUID(), randomUUID()];
  const shared = randomUUID();

  beforeAll(async () => {
    t = await startTestApp('user_isolation');
    tenant = await t.createTenant();
    for (const user of ['owner', 'colleague']) {
      await call(t, 'PUT', `/api/v1/users/${user}`, {
        key: tenant.adminKey,
        body: { memberships: [{ group: 'site:1', role: 'member' }] },
      });
    }
    await writeScoped(t, tenant.id, [
      { domain: 'journal', mobileId: hidden[0], version: 1, data: { user: 'owner', note: marker }, userId: 'owner' },
      {
        domain: 'work_order',
        mobileId: hidden[1],
        version: 1,
        data: { people: 'owner', bu: 1, note: marker },
        userId: 'admin-user',
      },
      {
        domain: 'task',
        mobileId: hidden[2],
        version: 1,
        data: { people: 'owner', pgroup: 6, note: marker },
        userId: 'admin-user',
      },
      { domain: 'task', mobileId: shared, version: 1, data: { people: 'x', pgroup: 5, bu: 1 }, userId: 'admin-user' },
    ]);
    // A later version of a hidden record, so a delta pull would have something to patch.
    await writeScoped(t, tenant.id, [
      {
        domain: 'work_order',
        mobileId: hidden[1],
        version: 2,
        data: { people: 'owner', bu: 1, note: `${marker}!` },
        userId: 'admin-user',
      },
    ]);
    await call(t, 'PUT', '/api/v1/users/colleague', {
      key: tenant.adminKey,
      body: {
        memberships: [
          { group: 'site:1', role: 'member' },
          { group: 'group:5', role: 'member' },
        ],
      },
    });
  });
  afterAll(() => t.close());

  function leaked(result: CallResult): string[] {
    const text = JSON.stringify(result.body ?? '');
    return [marker, ...hidden].filter((secret) => text.includes(secret));
  }

  it('never answers another user’s records, whatever the pull', async () => {
    const colleague = await tenant.syncKeyFor('colleague');
    const jwt = t.token(tenant.id, 'colleague', 'sync');
    const known = Object.fromEntries(hidden.map((id) => [id, 1]));
    const variants: Array<[string, () => Promise<CallResult>]> = [];
    for (const [who, auth] of [
      ['api key', { key: colleague }],
      ['jwt', { headers: { authorization: `Bearer ${jwt}` } }],
    ] as const) {
      variants.push(
        [`${who} GET`, () => call(t, 'GET', '/api/v1/sync/pull?limit=1000', auth)],
        [`${who} GET domains`, () => call(t, 'GET', '/api/v1/sync/pull?domains=journal,work_order,task', auth)],
        [`${who} POST`, () => call(t, 'POST', '/api/v1/sync/pull', { ...auth, body: { limit: 1 } })],
        [
          `${who} POST delta naming hidden ids`,
          () => call(t, 'POST', '/api/v1/sync/pull', { ...auth, body: { delta: true, known_versions: known } }),
        ],
      );
    }
    let cells = 0;
    for (const [name, pull] of variants) {
      const result = await pull();
      expect([name, result.status]).toEqual([name, 200]);
      expect([name, leaked(result)]).toEqual([name, []]);
      cells++;
    }
    // The colleague does receive the team's record: the matrix is not empty because nothing is served.
    const all = await call(t, 'GET', '/api/v1/sync/pull?limit=1000', { key: colleague });
    expect(all.body.changes.map((c: { mobile_id: string }) => c.mobile_id)).toEqual([shared]);
    const owner = await call(t, 'GET', '/api/v1/sync/pull?limit=1000', { key: await tenant.syncKeyFor('owner') });
    expect(owner.body.changes.map((c: { mobile_id: string }) => c.mobile_id).sort()).toEqual([...hidden].sort());
    expect(cells).toBe(variants.length);
  });
});
