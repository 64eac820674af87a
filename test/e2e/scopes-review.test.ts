import { randomUUID } from 'node:crypto';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

type Entry = { domain: string; mobile_id: string; version?: number; removed?: boolean; reason?: string };

/**
 * Scope keys written by the two write paths outside the push: an admin's manual resolution of a conflict and the
 * restore of an automatically resolved one. Anna and Ben are technicians of site 58, Sue their supervisor; Sue's
 * stale reassignment of Anna's work order to Ben is the conflict.
 */
describe('sync scopes after a manual resolve and a restore', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('scopes_review');
  });
  afterAll(() => t.close());

  interface Site {
    tenant: TestTenant;
    keys: Record<'anna' | 'ben' | 'sue', string>;
    cursors: Record<string, string | null>;
  }

  async function site(manualReview: boolean): Promise<Site> {
    const tenant = await t.createTenant();
    const keys = { anna: '', ben: '', sue: '' };
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
    if (manualReview) {
      const policy = await call(t, 'PUT', '/api/v1/conflict-policies/work_order', {
        key: tenant.adminKey,
        body: { resolution_policy: 'most_recent_wins', auto_resolve: false, notify_on_conflict: false },
      });
      expect(policy.status).toBe(200);
    }
    return { tenant, keys, cursors: {} };
  }

  async function push(s: Site, user: 'anna' | 'ben' | 'sue', item: Record<string, unknown>) {
    const response = await call(t, 'POST', '/api/v1/sync/push', {
      key: s.keys[user],
      device: `${user}-phone`,
      body: { items: [{ client_mutation_id: randomUUID(), domain: 'work_order', ...item }] },
    });
    expect(response.status).toBe(200);
    return response.body.results[0] as Record<string, any>;
  }

  async function pull(s: Site, user: 'anna' | 'ben'): Promise<Entry[]> {
    const entries: Entry[] = [];
    for (;;) {
      const cursor = s.cursors[user];
      const page = await call(t, 'GET', `/api/v1/sync/pull?limit=50${cursor ? `&cursor=${cursor}` : ''}`, {
        key: s.keys[user],
        device: `${user}-phone`,
      });
      expect(page.status).toBe(200);
      entries.push(...(page.body.changes as Entry[]));
      s.cursors[user] = page.body.next_cursor;
      if (!page.body.has_more) return entries;
    }
  }

  /**
   * Sue creates a work order for Anna; Anna starts it (version 2) while Sue, still on version 1, hands it to Ben
   * with a newer edit time. Both phones have pulled the state before the conflict.
   */
  async function staleReassignment(s: Site) {
    const id = randomUUID();
    const data = { people: 'anna', bu: 58, workstatus: 'ASSIGNED', remarks: '' };
    const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
    expect(await push(s, 'sue', { mobile_id: id, base_version: 0, data, client_updated_at: at(0) })).toMatchObject({
      status: 'applied',
      server_version: 1,
    });
    expect((await pull(s, 'anna')).map((e) => e.mobile_id)).toEqual([id]);
    expect(await pull(s, 'ben')).toEqual([]);
    const started = { ...data, workstatus: 'INPROGRESS' };
    expect(
      await push(s, 'anna', { mobile_id: id, base_version: 1, data: started, client_updated_at: at(1) }),
    ).toMatchObject({ status: 'applied', server_version: 2 });
    expect((await pull(s, 'anna')).map((e) => [e.mobile_id, e.version])).toEqual([[id, 2]]);
    const handedOver = { ...data, people: 'ben', workstatus: 'RE_ASSIGNED' };
    const result = await push(s, 'sue', {
      mobile_id: id,
      base_version: 1,
      data: handedOver,
      client_updated_at: at(2),
    });
    return { id, started, handedOver, result };
  }

  /** The record's current keys, and the scope_change rows written with its latest version. */
  async function keysOf(s: Site, id: string) {
    const [record] = await t.db.query(
      `SELECT version, change_seq::text AS change_seq FROM sync_record WHERE tenant_id = $1 AND mobile_id = $2`,
      [s.tenant.id, id],
    );
    const scope = await t.db.query(
      `SELECT scope_key FROM record_scope WHERE tenant_id = $1 AND mobile_id = $2 ORDER BY scope_key`,
      [s.tenant.id, id],
    );
    const log = await t.db.query(
      `SELECT scope_key, kind, reason FROM scope_change
       WHERE tenant_id = $1 AND mobile_id = $2 AND change_seq = $3 ORDER BY scope_key`,
      [s.tenant.id, id, record.change_seq],
    );
    return {
      version: record.version as number,
      keys: scope.map((row: { scope_key: string }) => row.scope_key),
      log: log as Array<{ scope_key: string; kind: string; reason: string | null }>,
    };
  }

  const conflictOf = async (s: Site, id: string) => {
    const list = await call(t, 'GET', '/api/v1/conflicts?domain=work_order', { key: s.tenant.adminKey });
    expect(list.status).toBe(200);
    return (list.body.items as Array<Record<string, any>>).find((item) => item.mobile_id === id)!;
  };

  it('a manual resolve that takes the reassignment moves the record from the old assignee to the new one', async () => {
    const s = await site(true);
    const { id, result } = await staleReassignment(s);
    expect(result).toMatchObject({ status: 'manual_required' });
    // Until the review nothing moved: the record is still Anna's.
    expect((await keysOf(s, id)).keys).toEqual(['g:site:58:supervisor', 'u:anna', 'u:sue']);
    const conflict = await conflictOf(s, id);

    const resolved = await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
      key: s.tenant.adminKey,
      body: { choose: 'client' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ record_version: 3 });

    const after = await keysOf(s, id);
    expect(after.version).toBe(3);
    expect(after.keys).toEqual(['g:site:58:supervisor', 'u:ben', 'u:sue']);
    // Logged at the change_seq of version 3 itself: written with the version, not by a later job.
    expect(after.log.filter((row) => row.kind === 'remove')).toEqual([
      { scope_key: 'u:anna', kind: 'remove', reason: 'reassigned' },
    ]);
    expect(after.log.map((row) => row.scope_key)).toEqual(['g:site:58:supervisor', 'u:anna', 'u:ben', 'u:sue']);

    expect(await pull(s, 'anna')).toEqual([
      expect.objectContaining({ mobile_id: id, removed: true, reason: 'reassigned' }),
    ]);
    expect(await pull(s, 'ben')).toEqual([expect.objectContaining({ mobile_id: id, version: 3 })]);
    // Ben may now work on it; Anna is refused.
    expect(
      await push(s, 'ben', {
        mobile_id: id,
        base_version: 3,
        data: { people: 'ben', bu: 58, workstatus: 'INPROGRESS' },
      }),
    ).toMatchObject({ status: 'applied', server_version: 4 });
  });

  it('a manual resolve that keeps the server copy leaves the keys where they were', async () => {
    const s = await site(true);
    const { id } = await staleReassignment(s);
    const conflict = await conflictOf(s, id);
    const resolved = await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
      key: s.tenant.adminKey,
      body: { choose: 'server' },
    });
    expect(resolved.status).toBe(200);
    const after = await keysOf(s, id);
    expect(after).toMatchObject({ version: 3, keys: ['g:site:58:supervisor', 'u:anna', 'u:sue'] });
    expect(after.log.filter((row) => row.kind === 'remove')).toEqual([]);
    expect(await pull(s, 'anna')).toEqual([expect.objectContaining({ mobile_id: id, version: 3 })]);
    expect(await pull(s, 'ben')).toEqual([]);
  });

  it('a restore of an automatic resolution moves the record back to the old assignee', async () => {
    const s = await site(false);
    const { id, result } = await staleReassignment(s);
    // most_recent_wins: Sue's newer hand-over won automatically.
    expect(result).toMatchObject({ status: 'resolved', server_version: 3 });
    expect((await keysOf(s, id)).keys).toEqual(['g:site:58:supervisor', 'u:ben', 'u:sue']);
    expect(await pull(s, 'anna')).toEqual([
      expect.objectContaining({ mobile_id: id, removed: true, reason: 'reassigned' }),
    ]);
    expect(await pull(s, 'ben')).toEqual([expect.objectContaining({ mobile_id: id, version: 3 })]);
    const conflict = await conflictOf(s, id);
    expect(conflict).toMatchObject({ resolution_result: 'resolved', winning_version: 'client' });

    const restored = await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/restore`, { key: s.tenant.adminKey });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ record_version: 4 });

    const after = await keysOf(s, id);
    expect(after).toMatchObject({ version: 4, keys: ['g:site:58:supervisor', 'u:anna', 'u:sue'] });
    expect(after.log.filter((row) => row.kind === 'remove')).toEqual([
      { scope_key: 'u:ben', kind: 'remove', reason: 'reassigned' },
    ]);
    expect(await pull(s, 'ben')).toEqual([
      expect.objectContaining({ mobile_id: id, removed: true, reason: 'reassigned' }),
    ]);
    expect(await pull(s, 'anna')).toEqual([expect.objectContaining({ mobile_id: id, version: 4 })]);
  });

  it('writes the keys in the transaction of the version: a failing key write leaves record and review untouched', async () => {
    const s = await site(true);
    const { id } = await staleReassignment(s);
    const conflict = await conflictOf(s, id);
    const before = await keysOf(s, id);
    await t.db.query(`
      CREATE OR REPLACE FUNCTION scope_review_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.mobile_id = '${id}' THEN RAISE EXCEPTION 'scope write refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(
      `CREATE TRIGGER scope_review_fail BEFORE INSERT ON scope_change FOR EACH ROW EXECUTE FUNCTION scope_review_fail()`,
    );
    try {
      const failed = await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
        key: s.tenant.adminKey,
        body: { choose: 'client' },
      });
      expect(failed.status).toBe(500);
    } finally {
      await t.db.query(`DROP TRIGGER scope_review_fail ON scope_change`);
      await t.db.query(`DROP FUNCTION scope_review_fail()`);
    }
    expect(await keysOf(s, id)).toEqual(before);
    expect(await conflictOf(s, id)).toMatchObject({ resolved_at: null });
    expect(await pull(s, 'anna')).toEqual([]);

    // The review can still be made, and then everything moves together.
    const resolved = await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
      key: s.tenant.adminKey,
      body: { choose: 'client' },
    });
    expect(resolved.status).toBe(200);
    expect((await keysOf(s, id)).keys).toEqual(['g:site:58:supervisor', 'u:ben', 'u:sue']);
  });
});
