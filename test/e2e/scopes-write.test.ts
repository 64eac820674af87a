import { randomUUID } from 'node:crypto';
import { TenantService } from '../../src/modules/tenant/tenant.service';
import { recordEvent } from '../helpers/sync-events';
import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

/**
 * The write side of sync scopes, through HTTP, with three users of one tenant: Anna and Ben, technicians of site 58,
 * and Sue, their supervisor.
 */
describe('sync scopes: writes and devices of users within a tenant', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const keys: Record<'anna' | 'ben' | 'sue', string> = { anna: '', ben: '', sue: '' };

  beforeAll(async () => {
    t = await startTestApp('scopes_write');
    tenant = await t.createTenant();
    for (const [user, role] of [
      ['anna', 'member'],
      ['ben', 'member'],
      ['sue', 'supervisor'],
    ] as const) {
      const put = await call(t, 'PUT', `/api/v1/users/${user}`, {
        key: tenant.adminKey,
        body: { memberships: [{ group: 'site:58', role }] },
      });
      expect(put.status).toBe(200);
      keys[user] = await tenant.syncKeyFor(user);
    }
  });
  afterAll(() => t.close());

  interface Item {
    domain?: string;
    mobile_id: string;
    base_version: number;
    data: Record<string, unknown>;
    deleted?: boolean;
    client_mutation_id?: string;
  }

  async function push(user: keyof typeof keys, items: Item[], device = `${user}-phone`, mode?: string) {
    const response = await call(t, 'POST', '/api/v1/sync/push', {
      key: keys[user],
      device,
      body: {
        ...(mode ? { mode } : {}),
        items: items.map((item) => ({
          client_mutation_id: randomUUID(),
          domain: 'work_order',
          ...item,
        })),
      },
    });
    expect(response.status).toBe(200);
    return response.body.results as Array<Record<string, any>>;
  }

  /** A work order Sue creates for Anna at site 58. */
  async function workOrderForAnna(): Promise<{ id: string; data: Record<string, unknown> }> {
    const id = randomUUID();
    const data = { people: 'anna', bu: 58, workstatus: 'ASSIGNED', notes: '' };
    const [created] = await push('sue', [{ mobile_id: id, base_version: 0, data }]);
    expect(created).toMatchObject({ status: 'applied', server_version: 1 });
    return { id, data };
  }

  it('lets each user change exactly what the rules allow on one work order', async () => {
    const wo = await workOrderForAnna();
    const [anna] = await push('anna', [{ mobile_id: wo.id, base_version: 1, data: { ...wo.data, notes: 'on site' } }]);
    expect(anna).toMatchObject({ status: 'applied', server_version: 2 });

    const [ben] = await push('ben', [
      { mobile_id: wo.id, base_version: 2, data: { ...wo.data, notes: 'ben was here' } },
    ]);
    expect(ben).toMatchObject({
      status: 'rejected',
      record: null,
      server_version: null,
      error: { code: 'RECORD_FORBIDDEN' },
    });

    const [reassign] = await push('anna', [{ mobile_id: wo.id, base_version: 2, data: { ...wo.data, people: 'ben' } }]);
    expect(reassign).toMatchObject({
      status: 'rejected',
      server_version: 2,
      record: { version: 2, data: { notes: 'on site' } },
      error: {
        code: 'FIELD_FORBIDDEN',
        details: [{ pointer: '/data/people', message: expect.any(String), field: 'people' }],
      },
    });

    const [sue] = await push('sue', [{ mobile_id: wo.id, base_version: 2, data: { ...wo.data, notes: 'checked' } }]);
    expect(sue).toMatchObject({ status: 'applied', server_version: 3 });
  });

  it('after a reassignment by the supervisor, the old technician is refused and the new one may edit', async () => {
    const wo = await workOrderForAnna();
    const [handover] = await push('sue', [{ mobile_id: wo.id, base_version: 1, data: { ...wo.data, people: 'ben' } }]);
    expect(handover).toMatchObject({ status: 'applied', server_version: 2 });

    const [anna] = await push('anna', [
      { mobile_id: wo.id, base_version: 2, data: { ...wo.data, people: 'ben', notes: 'late' } },
    ]);
    expect(anna).toMatchObject({ status: 'rejected', record: null, error: { code: 'RECORD_FORBIDDEN' } });
    // Offline edit of the version Anna still had: refused before any conflict is logged.
    const [stale] = await push('anna', [{ mobile_id: wo.id, base_version: 1, data: { ...wo.data, notes: 'offline' } }]);
    expect(stale).toMatchObject({ status: 'rejected', record: null, error: { code: 'RECORD_FORBIDDEN' } });

    const [ben] = await push('ben', [
      { mobile_id: wo.id, base_version: 2, data: { ...wo.data, people: 'ben', notes: 'mine' } },
    ]);
    expect(ben).toMatchObject({ status: 'applied', server_version: 3 });

    const scope = await t.db.query(
      `SELECT scope_key FROM record_scope WHERE tenant_id = $1 AND mobile_id = $2 ORDER BY scope_key`,
      [tenant.id, wo.id],
    );
    expect(scope.map((r: { scope_key: string }) => r.scope_key)).toEqual(['g:site:58:supervisor', 'u:ben', 'u:sue']);
    const log = await t.db.query(
      `SELECT scope_key, kind, reason FROM scope_change WHERE tenant_id = $1 AND mobile_id = $2 AND kind = 'remove'`,
      [tenant.id, wo.id],
    );
    expect(log).toEqual([{ scope_key: 'u:anna', kind: 'remove', reason: 'reassigned' }]);
  });

  it('after the supervisor leaves the team, it may no longer edit the team work orders', async () => {
    const wo = await workOrderForAnna();
    const boss = await call(t, 'PUT', '/api/v1/users/boss', {
      key: tenant.adminKey,
      body: { memberships: [{ group: 'site:58', role: 'supervisor' }] },
    });
    expect(boss.status).toBe(200);
    const bossKey = await tenant.syncKeyFor('boss');
    const edit = async (notes: string) =>
      call(t, 'POST', '/api/v1/sync/push', {
        key: bossKey,
        device: 'boss-phone',
        body: {
          items: [
            {
              client_mutation_id: randomUUID(),
              domain: 'work_order',
              mobile_id: wo.id,
              base_version: 1,
              data: { ...wo.data, notes },
            },
          ],
        },
      });
    expect((await edit('before')).body.results[0]).toMatchObject({ status: 'applied', server_version: 2 });
    await call(t, 'PUT', '/api/v1/users/boss', { key: tenant.adminKey, body: { memberships: [] } });
    const after = (await edit('after')).body.results[0];
    expect(after).toMatchObject({ status: 'rejected', record: null, error: { code: 'RECORD_FORBIDDEN' } });
  });

  it('judges the next push by a new rules version at once (the cached rules are checked against the version)', async () => {
    const wo = await workOrderForAnna();
    const [before] = await push('anna', [{ mobile_id: wo.id, base_version: 1, data: { ...wo.data, notes: 'one' } }]);
    expect(before).toMatchObject({ status: 'applied', server_version: 2 });
    const put = await call(t, 'PUT', '/api/v1/sync-rules', {
      key: tenant.adminKey,
      body: {
        rules: {
          work_order: {
            users: ['people', 'approvers', 'verifiers'],
            groups: [{ field: 'bu', group: 'site', role: 'supervisor' }],
            creator: true,
            owner_groups: null,
            supervisor_only: ['people', 'bu', 'approvers', 'verifiers', 'notes'],
          },
        },
      },
    });
    expect(put.status).toBe(202);
    try {
      const [after] = await push('anna', [{ mobile_id: wo.id, base_version: 2, data: { ...wo.data, notes: 'two' } }]);
      expect(after).toMatchObject({ status: 'rejected', error: { code: 'FIELD_FORBIDDEN' } });
    } finally {
      expect((await call(t, 'DELETE', '/api/v1/sync-rules', { key: tenant.adminKey })).status).toBe(202);
    }
    const [reset] = await push('anna', [{ mobile_id: wo.id, base_version: 2, data: { ...wo.data, notes: 'three' } }]);
    expect(reset).toMatchObject({ status: 'applied', server_version: 3 });
  });

  it('stores a refusal as the item result: a retry replays it', async () => {
    const wo = await workOrderForAnna();
    const item = {
      client_mutation_id: randomUUID(),
      mobile_id: wo.id,
      base_version: 1,
      data: { ...wo.data, notes: 'x' },
    };
    const [first] = await push('ben', [item]);
    const [again] = await push('ben', [item]);
    expect(first).toMatchObject({ status: 'rejected', error: { code: 'RECORD_FORBIDDEN' } });
    expect(again).toEqual({ ...first, replayed: true });
  });

  it('checks items queued with mode queue when partial sync applies them', async () => {
    const wo = await workOrderForAnna();
    const [queued] = await push(
      'ben',
      [{ mobile_id: wo.id, base_version: 1, data: { ...wo.data, notes: 'queued' } }],
      'ben-tablet',
      'enqueue',
    );
    expect(queued.status).toBe('queued');
    const partial = await call(t, 'POST', '/api/v1/sync/partial', {
      key: keys.ben,
      device: 'ben-tablet',
      body: { priority: 'low', max_items: 10 },
    });
    expect(partial.status).toBe(200);
    expect(partial.body.synced_items).toEqual([expect.objectContaining({ status: 'rejected', server_version: null })]);
  });

  it('keeps an admin unrestricted', async () => {
    const wo = await workOrderForAnna();
    const response = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.adminKey,
      device: 'console',
      body: {
        items: [
          {
            client_mutation_id: randomUUID(),
            domain: 'work_order',
            mobile_id: wo.id,
            base_version: 1,
            data: { ...wo.data, people: 'zoe', bu: 99 },
          },
        ],
      },
    });
    expect(response.body.results[0]).toMatchObject({ status: 'applied', server_version: 2 });
  });

  describe('X-Device-Id is its user’s device', () => {
    it('isolates queue items, mutation ids, queue-status and partial sync of two users on one device id', async () => {
      const device = `shared-${randomUUID().slice(0, 8)}`;
      const mutation = randomUUID();
      const annaWo = randomUUID();
      const [annaQueued] = await push(
        'anna',
        [{ client_mutation_id: mutation, mobile_id: annaWo, base_version: 0, data: { people: 'anna', bu: 58 } }],
        device,
        'enqueue',
      );
      expect(annaQueued.status).toBe('queued');

      // Ben sees nothing of Anna's queue on that device id.
      const benStatus = await call(t, 'GET', '/api/v1/sync/queue-status', { key: keys.ben, device });
      expect(benStatus.body).toMatchObject({ pending_items: 0 });
      const annaStatus = await call(t, 'GET', '/api/v1/sync/queue-status', { key: keys.anna, device });
      expect(annaStatus.body).toMatchObject({ pending_items: 1 });

      // The same mutation id under Ben is Ben's own mutation: no replay of Anna's, no 409.
      const benWo = randomUUID();
      const [benItem] = await push(
        'ben',
        [{ client_mutation_id: mutation, mobile_id: benWo, base_version: 0, data: { people: 'ben', bu: 58 } }],
        device,
      );
      expect(benItem).toMatchObject({ status: 'applied', mobile_id: benWo });
      expect(benItem.replayed).toBeUndefined();

      // Ben's push and partial sync on that device id leave Anna's queued item alone.
      const partial = await call(t, 'POST', '/api/v1/sync/partial', {
        key: keys.ben,
        device,
        body: { priority: 'low', max_items: 10 },
      });
      expect(partial.body).toMatchObject({ synced_items: [], remaining: 0 });
      expect((await call(t, 'GET', '/api/v1/sync/queue-status', { key: keys.anna, device })).body).toMatchObject({
        pending_items: 1,
      });
      const annaPartial = await call(t, 'POST', '/api/v1/sync/partial', {
        key: keys.anna,
        device,
        body: { priority: 'low', max_items: 10 },
      });
      expect(annaPartial.body.synced_items).toEqual([
        expect.objectContaining({ mobile_id: annaWo, status: 'applied' }),
      ]);
    });

    it("keeps device health per user: another user's sync on the same id takes nothing over", async () => {
      const device = `health-${randomUUID().slice(0, 8)}`;
      await recordEvent(t, tenant.id, { user: 'anna', device, failed: true });
      await recordEvent(t, tenant.id, { user: 'ben', device });
      const anna = await call(t, 'GET', `/api/sync/device-health?device_id=${device}`, { key: keys.anna });
      const ben = await call(t, 'GET', `/api/sync/device-health?device_id=${device}`, { key: keys.ben });
      expect(anna.body).toMatchObject({ device_id: device, user_id: 'anna', total_syncs: 1, failed_syncs_count: 1 });
      expect(ben.body).toMatchObject({ device_id: device, user_id: 'ben', total_syncs: 1, failed_syncs_count: 0 });
      const sueKey = keys.sue;
      expectErrorBody(await call(t, 'GET', `/api/sync/device-health?device_id=${device}`, { key: sueKey }), 404);
      const listed = await call(t, 'GET', '/api/v1/analytics/devices?limit=1', { key: tenant.adminKey });
      expect(listed.status).toBe(200);
      const seen: Array<{ device_id: string; user_id: string | null }> = [...listed.body.items];
      let cursor = listed.body.next_cursor as string | null;
      while (cursor) {
        const page = await call(t, 'GET', `/api/v1/analytics/devices?limit=1&cursor=${cursor}`, {
          key: tenant.adminKey,
        });
        seen.push(...page.body.items);
        cursor = page.body.next_cursor;
      }
      expect(seen.filter((d) => d.device_id === device).map((d) => d.user_id)).toEqual(['anna', 'ben']);
    });
  });

  it('refuses a sync credential without a user on push, pull, partial sync and queue status (USER_REQUIRED)', async () => {
    const { key } = await t.app.get(TenantService).createApiKey(tenant.id, ['sync'], null);
    const body = {
      items: [{ client_mutation_id: randomUUID(), domain: 'task', mobile_id: randomUUID(), base_version: 0, data: {} }],
    };
    expectErrorBody(await call(t, 'POST', '/api/v1/sync/push', { key, device: 'd', body }), 403, 'USER_REQUIRED');
    expectErrorBody(await call(t, 'GET', '/api/v1/sync/pull', { key, device: 'd' }), 403, 'USER_REQUIRED');
    expectErrorBody(
      await call(t, 'POST', '/api/v1/sync/partial', { key, device: 'd', body: {} }),
      403,
      'USER_REQUIRED',
    );
    expectErrorBody(await call(t, 'GET', '/api/v1/sync/queue-status', { key, device: 'd' }), 403, 'USER_REQUIRED');
  });
});
