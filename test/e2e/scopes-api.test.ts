import { randomUUID } from 'node:crypto';
import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

describe('sync scopes API (directory, rules, explain)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('scopes_api');
    tenant = await t.createTenant();
    other = await t.createTenant();
  });
  afterAll(() => t.close());

  const admin = (): { key: string } => ({ key: tenant.adminKey });

  describe('directory', () => {
    it('creates a user, replaces its memberships and keeps what the body leaves out', async () => {
      const created = await call(t, 'PUT', '/api/v1/users/4127', {
        ...admin(),
        body: { display_name: 'Anna Rao', memberships: [{ group: 'site:58', role: 'member' }] },
      });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({
        user_id: '4127',
        display_name: 'Anna Rao',
        memberships: [{ group: 'site:58', role: 'member' }],
        active: true,
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });

      const changed = await call(t, 'PUT', '/api/v1/users/4127', {
        ...admin(),
        body: {
          memberships: [
            { group: 'team:north', role: 'supervisor' },
            { group: 'site:60', role: 'member' },
          ],
        },
      });
      expect(changed.body).toMatchObject({
        display_name: 'Anna Rao',
        active: true,
        memberships: [
          { group: 'site:60', role: 'member' },
          { group: 'team:north', role: 'supervisor' },
        ],
      });
      const read = await call(t, 'GET', '/api/v1/users/4127', admin());
      expect(read.body).toEqual(changed.body);
    });

    it('is per tenant and admin only', async () => {
      expectErrorBody(await call(t, 'GET', '/api/v1/users/4127', { key: other.adminKey }), 404, 'NOT_FOUND');
      expectErrorBody(await call(t, 'GET', '/api/v1/users/4127', { key: tenant.syncKey }), 403);
      expectErrorBody(await call(t, 'GET', '/api/v1/users'), 401);
    });

    it('pages the directory in user_id order', async () => {
      for (const id of ['p-1', 'p-2', 'p-3']) {
        await call(t, 'PUT', `/api/v1/users/${id}`, { key: other.adminKey, body: { memberships: [] } });
      }
      const first = await call(t, 'GET', '/api/v1/users?limit=2', { key: other.adminKey });
      expect(first.status).toBe(200);
      expect(first.body.items.map((u: { user_id: string }) => u.user_id)).toEqual(['p-1', 'p-2']);
      const second = await call(t, 'GET', `/api/v1/users?limit=2&cursor=${first.body.next_cursor}`, {
        key: other.adminKey,
      });
      expect(second.body).toMatchObject({ items: [{ user_id: 'p-3' }], next_cursor: null });
      expectErrorBody(await call(t, 'GET', '/api/v1/users?cursor=bogus', admin()), 400, 'VALIDATION_FAILED');
      expectErrorBody(await call(t, 'GET', '/api/v1/users?limit=0', admin()), 400, 'VALIDATION_FAILED');
    });

    it.each([
      ['an unknown role', { memberships: [{ group: 'site:58', role: 'owner' }] }],
      ['a malformed group', { memberships: [{ group: 'Site 58', role: 'member' }] }],
      [
        'a group named twice',
        {
          memberships: [
            { group: 'site:58', role: 'member' },
            { group: 'site:58', role: 'supervisor' },
          ],
        },
      ],
      ['no memberships', { display_name: 'x' }],
      ['an unknown property', { memberships: [], email: 'a@b.c' }],
      ['a non-boolean active', { memberships: [], active: 'no' }],
    ])('answers 400 for %s', async (_case, body) => {
      expectErrorBody(await call(t, 'PUT', '/api/v1/users/4128', { ...admin(), body }), 400, 'VALIDATION_FAILED');
    });

    it('deactivates a user', async () => {
      const result = await call(t, 'PUT', '/api/v1/users/4129', {
        ...admin(),
        body: { memberships: [], active: false },
      });
      expect(result.body).toMatchObject({ user_id: '4129', active: false, display_name: null });
    });
  });

  describe('rules', () => {
    it('shows the defaults as version 0 until the tenant sets rules', async () => {
      const rules = await call(t, 'GET', '/api/v1/sync-rules', admin());
      expect(rules.status).toBe(200);
      expect(rules.body).toMatchObject({ version: 0, applied: true, progress: { records_done: 0 } });
      expect(rules.body.rules.work_order.supervisor_only).toEqual(['people', 'bu', 'approvers', 'verifiers']);
    });

    it('stores a new version, keeps the defaults of the domains left out, and resets to the defaults', async () => {
      const put = await call(t, 'PUT', '/api/v1/sync-rules', {
        ...admin(),
        body: { rules: { task: { users: ['people'], supervisor_only: ['people'] } } },
      });
      expect(put.status).toBe(202);
      expect(put.body).toEqual({ version: 1, applied: false });
      const current = await call(t, 'GET', '/api/v1/sync-rules', admin());
      expect(current.body).toMatchObject({ version: 1, applied: false, rules: { task: { groups: [] } } });
      expect(current.body.rules.ticket.users).toEqual(['assignedtopeople', 'cuser']);

      const reset = await call(t, 'DELETE', '/api/v1/sync-rules', admin());
      expect(reset.status).toBe(202);
      expect(reset.body).toEqual({ version: 2, applied: false });
      expect((await call(t, 'GET', '/api/v1/sync-rules', admin())).body.rules.task.groups).toHaveLength(2);
    });

    it('answers 400 naming the domain and key of a bad rule', async () => {
      const result = await call(t, 'PUT', '/api/v1/sync-rules', {
        ...admin(),
        body: { rules: { ticket: { groups: [{ field: 'bu', group: 'site', role: 'boss' }] }, invoice: {} } },
      });
      expectErrorBody(result, 400, 'VALIDATION_FAILED');
      expect(result.body.error.details).toEqual([
        { field: 'rules.ticket.groups[0].role', message: 'must be one of member, supervisor' },
        { field: 'rules.invoice', message: expect.stringMatching(/is not a domain/) },
      ]);
      expectErrorBody(await call(t, 'PUT', '/api/v1/sync-rules', { ...admin(), body: { rules: 'all' } }), 400);
      expectErrorBody(await call(t, 'PUT', '/api/v1/sync-rules', { key: tenant.syncKey, body: { rules: {} } }), 403);
    });
  });

  describe('explain', () => {
    it('explains why the site supervisor reads a work order and a colleague does not', async () => {
      await call(t, 'PUT', '/api/v1/users/9001', {
        ...admin(),
        body: { memberships: [{ group: 'site:58', role: 'supervisor' }] },
      });
      const mobileId = randomUUID();
      await t.db.query(
        `INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, change_seq, updated_by_user)
         VALUES ($1, 'work_order', $2, 1, $3, nextval('sync_change_seq'), 'disp-1')`,
        [tenant.id, mobileId, JSON.stringify({ people: 4130, bu: 58, workstatus: 'ASSIGNED' })],
      );
      const path = (user: string): string =>
        `/api/v1/sync-rules/explain?user_id=${user}&domain=work_order&mobile_id=${mobileId}`;

      const supervisor = await call(t, 'GET', path('9001'), admin());
      expect(supervisor.status).toBe(200);
      expect(supervisor.body).toMatchObject({
        record_keys: ['g:site:58:supervisor', 'u:4130', 'u:disp-1'],
        stored_keys: [],
        user_keys: ['g:site:58:member', 'g:site:58:supervisor', 'u:9001'],
        can_read: true,
        can_write: true,
      });
      expect(supervisor.body.reasons.join(' ')).toMatch(/reads through g:site:58:supervisor/);

      const colleague = await call(t, 'GET', path('4127'), admin());
      expect(colleague.body).toMatchObject({ can_read: false, can_write: false });
      const stranger = await call(t, 'GET', path('nobody'), admin());
      expect(stranger.body.user_keys).toEqual(['u:nobody']);
      expect(stranger.body.reasons.join(' ')).toMatch(/not in the directory/);
    });

    it('answers 404 for an unknown record and 400 for bad input', async () => {
      const missing = `/api/v1/sync-rules/explain?user_id=4127&domain=task&mobile_id=${randomUUID()}`;
      expectErrorBody(await call(t, 'GET', missing, admin()), 404, 'NOT_FOUND');
      for (const query of ['user_id=4127&domain=task', 'user_id=4127&domain=invoice&mobile_id=x', 'domain=task']) {
        expectErrorBody(await call(t, 'GET', `/api/v1/sync-rules/explain?${query}`, admin()), 400, 'VALIDATION_FAILED');
      }
    });
  });
});
