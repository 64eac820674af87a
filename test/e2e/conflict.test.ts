import { randomUUID } from 'node:crypto';
import type { ConflictLogInsert } from '../../src/modules/conflict/conflict-log.repository';
import { ConflictLogService } from '../../src/modules/conflict/conflict-log.service';
import { ConflictPolicyService } from '../../src/modules/conflict/conflict-policy.service';
import { ConflictReportService } from '../../src/modules/conflict/conflict-report.service';
import { SyncRecordsService } from '../../src/modules/sync/sync-records.service';
import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

function ticket(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mobile_id: randomUUID(),
    ticketno: 'T04812',
    ticketdesc: 'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
    status: 'OPEN',
    priority: 'HIGH',
    comments: '',
    updated_at: '2025-09-28T10:00:00Z',
    ...overrides,
  };
}

function task(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mobile_id: randomUUID(),
    jobdesc: 'Fire extinguisher check - Floor 3 East',
    jobstatus: 'INPROGRESS',
    remarks: '',
    updated_at: '2025-09-28T10:00:00Z',
    ...overrides,
  };
}

describe('conflicts (HTTP)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let conflicts: ConflictLogService;
  let records: SyncRecordsService;

  beforeAll(async () => {
    t = await startTestApp('conflict');
    a = await t.createTenant('Tenant A');
    b = await t.createTenant('Tenant B');
    conflicts = t.app.get(ConflictLogService);
    records = t.app.get(SyncRecordsService);
  });
  afterAll(() => t.close());

  /** A record written as a device push would, and a conflict about it logged by the push path. */
  async function pushConflict(
    tenantId: string,
    overrides: Partial<ConflictLogInsert> = {},
  ): Promise<{ id: string; mobileId: string; server: Record<string, unknown>; client: Record<string, unknown> }> {
    const mobileId = randomUUID();
    const server = task({ mobile_id: mobileId, jobstatus: 'COMPLETED', updated_at: '2025-09-28T12:00:00Z' });
    const client = task({ mobile_id: mobileId, jobstatus: 'STANDBY', updated_at: '2025-09-28T11:00:00Z' });
    const id = randomUUID();
    await t.db.transaction(async (manager) => {
      await records.writeNewVersion(manager, tenantId, {
        domain: 'task',
        mobileId,
        data: server,
        userId: 'user-1',
        deviceId: 'device-1',
        origin: 'push',
      });
      await conflicts.recordConflicts(manager, tenantId, [
        {
          id,
          domain: 'task',
          mobileId,
          deviceId: 'device-2',
          userId: 'user-2',
          serverVersion: 1,
          clientVersion: 2,
          baseVersion: 0,
          strategy: 'manual',
          result: 'manual_required',
          winningVersion: 'none',
          mergeDetails: { from_client: [], from_server: [], conflicting_fields: ['jobstatus'], three_way: false },
          serverEntry: server,
          clientEntry: client,
          baseEntry: null,
          resultEntry: null,
          source: 'push',
          queueItemId: '42',
          clientMutationId: 'm-1',
          resolvedBy: null,
          resolvedAt: null,
          notify: false,
          ...overrides,
        },
      ]);
    });
    return { id, mobileId, server, client };
  }

  async function recordState(tenantId: string, mobileId: string) {
    const [record] = await t.db.query(
      `SELECT version, data FROM sync_record WHERE tenant_id = $1 AND domain = 'task' AND mobile_id = $2`,
      [tenantId, mobileId],
    );
    const revisions = await t.db.query(
      `SELECT version, origin, data FROM sync_record_revision WHERE tenant_id = $1 AND domain = 'task'
       AND mobile_id = $2 ORDER BY version`,
      [tenantId, mobileId],
    );
    return { record, revisions };
  }

  describe('policies', () => {
    it('lists the default policy of every domain', async () => {
      const result = await call(t, 'GET', '/api/v1/conflict-policies', { key: a.adminKey });
      expect(result.status).toBe(200);
      expect(result.body).toEqual([
        expect.objectContaining({ domain: 'journal', resolution_policy: 'client_wins', source: 'default' }),
        expect.objectContaining({ domain: 'attendance', resolution_policy: 'server_wins', source: 'default' }),
        expect.objectContaining({ domain: 'task', resolution_policy: 'most_recent_wins', source: 'default' }),
        expect.objectContaining({ domain: 'ticket', resolution_policy: 'preserve_escalation', source: 'default' }),
        expect.objectContaining({ domain: 'work_order', resolution_policy: 'most_recent_wins', source: 'default' }),
      ]);
      expect(result.body[0]).toEqual({
        domain: 'journal',
        resolution_policy: 'client_wins',
        auto_resolve: true,
        notify_on_conflict: false,
        protected_fields: null,
        source: 'default',
      });
    });

    it('applies a tenant client_wins override on task and restores the default when it is deleted', async () => {
      const server = task({ jobstatus: 'COMPLETED', updated_at: '2025-09-28T12:00:00Z' });
      const client = task({ jobstatus: 'STANDBY', updated_at: '2025-09-28T11:00:00Z' });
      const resolve = () =>
        call(t, 'POST', '/api/v1/conflicts/resolve', {
          key: a.syncKey,
          body: { domain: 'task', server_entry: server, client_entry: client },
        });

      const before = await resolve();
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({
        resolution: 'resolved',
        winning_entry: server,
        strategy_used: 'most_recent_wins (server)',
        winning_version: 'server',
      });

      const put = await call(t, 'PUT', '/api/v1/conflict-policies/task', {
        key: a.adminKey,
        body: { resolution_policy: 'client_wins', auto_resolve: true, notify_on_conflict: false },
      });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({
        domain: 'task',
        resolution_policy: 'client_wins',
        auto_resolve: true,
        notify_on_conflict: false,
        protected_fields: null,
        source: 'tenant',
      });
      const listed = await call(t, 'GET', '/api/v1/conflict-policies', { key: a.adminKey });
      expect(listed.body.find((p: { domain: string }) => p.domain === 'task')).toMatchObject({ source: 'tenant' });
      const otherTenant = await call(t, 'GET', '/api/v1/conflict-policies', { key: b.adminKey });
      expect(otherTenant.body.find((p: { domain: string }) => p.domain === 'task')).toMatchObject({
        resolution_policy: 'most_recent_wins',
        source: 'default',
      });

      const during = await resolve();
      expect(during.body).toMatchObject({
        winning_entry: client,
        strategy_used: 'client_wins',
        winning_version: 'client',
      });

      expect((await call(t, 'DELETE', '/api/v1/conflict-policies/task', { key: a.adminKey })).status).toBe(204);
      const after = await resolve();
      expect(after.body).toMatchObject({ winning_entry: server, strategy_used: 'most_recent_wins (server)' });
      expectErrorBody(await call(t, 'DELETE', '/api/v1/conflict-policies/task', { key: a.adminKey }), 404, 'NOT_FOUND');
    });

    it('sends every conflict of a domain to review when the tenant turns auto-resolve off', async () => {
      await call(t, 'PUT', '/api/v1/conflict-policies/journal', {
        key: b.adminKey,
        body: { resolution_policy: 'client_wins', auto_resolve: false, notify_on_conflict: true },
      });
      const result = await call(t, 'POST', '/api/v1/conflicts/resolve', {
        key: b.adminKey,
        body: { domain: 'journal', server_entry: { title: 'a' }, client_entry: { title: 'b' } },
      });
      expect(result.body).toMatchObject({
        resolution: 'manual_required',
        winning_entry: null,
        winning_version: 'none',
      });
      const [notification] = await t.db.query(
        `SELECT kind, payload FROM notification_outbox WHERE tenant_id = $1 AND payload->>'conflict_id' = $2`,
        [b.id, result.body.conflict_id],
      );
      expect(notification).toMatchObject({ kind: 'conflict', payload: { domain: 'journal', source: 'api' } });
      await call(t, 'DELETE', '/api/v1/conflict-policies/journal', { key: b.adminKey });
    });

    it('uses the tenant protected fields', async () => {
      await call(t, 'PUT', '/api/v1/conflict-policies/ticket', {
        key: b.adminKey,
        body: { resolution_policy: 'preserve_escalation', protected_fields: ['assignedtopeople'] },
      });
      const result = await call(t, 'POST', '/api/v1/conflicts/resolve', {
        key: b.adminKey,
        body: {
          domain: 'ticket',
          server_entry: ticket({ status: 'ONHOLD', assignedtopeople: 77 }),
          client_entry: ticket({ status: 'OPEN', assignedtopeople: 12 }),
        },
      });
      expect(result.body.winning_entry).toMatchObject({ status: 'OPEN', assignedtopeople: 77 });
      expect(result.body.merge_details.protected_fields_kept).toEqual(['assignedtopeople']);
      await call(t, 'DELETE', '/api/v1/conflict-policies/ticket', { key: b.adminKey });
    });

    it('rejects an unknown domain, manual with auto-resolve, bad values and unknown properties with 400', async () => {
      const put = (domain: string, body: unknown) =>
        call(t, 'PUT', `/api/v1/conflict-policies/${domain}`, { key: a.adminKey, body });
      expectErrorBody(await put('inspection', { resolution_policy: 'client_wins' }), 400, 'VALIDATION_FAILED');
      expectErrorBody(await put('task', { resolution_policy: 'manual', auto_resolve: true }), 400, 'VALIDATION_FAILED');
      expectErrorBody(await put('task', { resolution_policy: 'newest' }), 400);
      expectErrorBody(await put('task', { resolution_policy: 'client_wins', protected_fields: 'status' }), 400);
      expectErrorBody(await put('task', { resolution_policy: 'client_wins', tenant_id: b.id }), 400);
      expectErrorBody(await call(t, 'DELETE', '/api/v1/conflict-policies/inspection', { key: a.adminKey }), 400);
      const manual = await put('task', { resolution_policy: 'manual' });
      expect(manual.body).toMatchObject({ resolution_policy: 'manual', auto_resolve: false });
      await call(t, 'DELETE', '/api/v1/conflict-policies/task', { key: a.adminKey });
    });
  });

  describe('POST /api/v1/conflicts/resolve', () => {
    it('keeps the server escalation of a ticket and logs the resolution', async () => {
      const server = ticket({
        status: 'INPROGRESS',
        escalation_level: 1,
        escalated_at: '2025-09-28T11:40:00+05:30',
        escalated_by: 'system',
      });
      const client = ticket({ mobile_id: server.mobile_id, status: 'RESOLVED', comments: 'Valve replaced' });
      const result = await call(t, 'POST', '/api/v1/conflicts/resolve', {
        key: a.syncKey,
        device: 'phone-7',
        body: { domain: 'ticket', server_entry: server, client_entry: client },
      });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        resolution: 'resolved',
        winning_entry: {
          ...client,
          status: 'INPROGRESS',
          escalation_level: 1,
          escalated_at: '2025-09-28T11:40:00+05:30',
          escalated_by: 'system',
        },
        strategy_used: 'preserve_escalation',
        merge_details: {
          from_client: ['comments'],
          from_server: ['escalated_at', 'escalated_by', 'escalation_level', 'status'],
          conflicting_fields: ['comments', 'escalated_at', 'escalated_by', 'escalation_level', 'status'],
          protected_fields_kept: ['escalated_at', 'escalated_by', 'escalation_level', 'status'],
          three_way: false,
        },
        winning_version: 'merged',
        conflict_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      const logged = await call(t, 'GET', `/api/v1/conflicts/${result.body.conflict_id}`, { key: a.adminKey });
      expect(logged.status).toBe(200);
      expect(logged.body).toMatchObject({
        id: result.body.conflict_id,
        domain: 'ticket',
        mobile_id: server.mobile_id,
        device_id: 'phone-7',
        user_id: 'user-1',
        resolution_strategy: 'preserve_escalation',
        resolution_result: 'resolved',
        winning_version: 'merged',
        source: 'api',
        server_entry: server,
        client_entry: client,
        result_entry: result.body.winning_entry,
        resolved_by: 'policy',
      });
    });

    it('merges three-way when a base entry is given', async () => {
      const base = task({ jobstatus: 'ASSIGNED', updated_at: '2025-09-28T09:00:00Z' });
      const server = { ...base, jobstatus: 'STANDBY', updated_at: '2025-09-28T12:00:00Z' };
      const client = { ...base, remarks: 'gauge low', updated_at: '2025-09-28T11:00:00+00:00' };
      const result = await call(t, 'POST', '/api/v1/conflicts/resolve', {
        key: a.adminKey,
        body: { domain: 'task', server_entry: server, client_entry: client, base_entry: base },
      });
      expect(result.body.winning_entry).toEqual({ ...server, remarks: 'gauge low' });
      expect(result.body.winning_version).toBe('merged');
      expect(result.body.merge_details).toMatchObject({ from_client: ['remarks'], three_way: true });
    });

    it('needs manual review for an unknown domain', async () => {
      const result = await call(t, 'POST', '/api/v1/conflicts/resolve', {
        key: a.adminKey,
        body: { domain: 'inspection', server_entry: { a: 1 }, client_entry: { a: 2 } },
      });
      expect(result.body).toMatchObject({
        resolution: 'manual_required',
        winning_entry: null,
        strategy_used: 'manual',
        winning_version: 'none',
      });
    });

    it('answers an unparseable timestamp or a non-object entry with 400', async () => {
      expectErrorBody(
        await call(t, 'POST', '/api/v1/conflicts/resolve', {
          key: a.adminKey,
          body: { domain: 'task', server_entry: task(), client_entry: task({ updated_at: 'yesterday noon' }) },
        }),
        400,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        await call(t, 'POST', '/api/v1/conflicts/resolve', {
          key: a.adminKey,
          body: { domain: 'task', server_entry: [1], client_entry: task() },
        }),
        400,
      );
      expectErrorBody(
        await call(t, 'POST', '/api/v1/conflicts/resolve', {
          key: a.adminKey,
          body: { domain: 'task', server_entry: task(), client_entry: task(), tenant: b.id },
        }),
        400,
      );
    });
  });

  describe('manual review', () => {
    it('writes the chosen copy as a new record version and marks the log resolved, once', async () => {
      const conflict = await pushConflict(a.id);
      const resolved = await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
        key: a.adminKey,
        body: { choose: 'client' },
      });
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({
        id: conflict.id,
        resolution_result: 'manual_required',
        winning_version: 'client',
        result_entry: conflict.client,
        resolved_by: 'admin-user',
        resolved_at: expect.any(String),
        record_version: 2,
      });
      const state = await recordState(a.id, conflict.mobileId);
      expect(state.record).toEqual({ version: 2, data: conflict.client });
      expect(state.revisions.map((r: { version: number; origin: string }) => [r.version, r.origin])).toEqual([
        [1, 'push'],
        [2, 'manual'],
      ]);
      const logged = await call(t, 'GET', `/api/v1/conflicts/${conflict.id}`, { key: a.adminKey });
      expect(logged.body).toMatchObject({ resolved_by: 'admin-user', winning_version: 'client' });

      expectErrorBody(
        await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
          key: a.adminKey,
          body: { choose: 'server' },
        }),
        409,
        'ALREADY_RESOLVED',
      );
      expect((await recordState(a.id, conflict.mobileId)).record.version).toBe(2);
    });

    it('accepts a reviewer-merged copy and requires it with choose=merged', async () => {
      const conflict = await pushConflict(a.id);
      const path = `/api/v1/conflicts/${conflict.id}/resolve`;
      expectErrorBody(await call(t, 'POST', path, { key: a.adminKey, body: { choose: 'merged' } }), 400);
      expectErrorBody(
        await call(t, 'POST', path, { key: a.adminKey, body: { choose: 'merged', merged_entry: 'x' } }),
        400,
      );
      expectErrorBody(
        await call(t, 'POST', path, { key: a.adminKey, body: { choose: 'server', merged_entry: { a: 1 } } }),
        400,
      );
      expectErrorBody(await call(t, 'POST', path, { key: a.adminKey, body: { choose: 'both' } }), 400);
      const merged = { ...conflict.server, remarks: 'checked by supervisor' };
      const result = await call(t, 'POST', path, {
        key: t.token(a.id, 'supervisor-9', 'admin'),
        body: { choose: 'merged', merged_entry: merged },
      });
      expect(result.body).toMatchObject({ winning_version: 'merged', resolved_by: 'supervisor-9', record_version: 2 });
      expect((await recordState(a.id, conflict.mobileId)).record.data).toEqual(merged);
    });

    it('lets only one of two concurrent reviewers win', async () => {
      const conflict = await pushConflict(a.id);
      const path = `/api/v1/conflicts/${conflict.id}/resolve`;
      const results = await Promise.all([
        call(t, 'POST', path, { key: a.adminKey, body: { choose: 'client' } }),
        call(t, 'POST', path, { key: a.adminKey, body: { choose: 'server' } }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect((await recordState(a.id, conflict.mobileId)).record.version).toBe(2);
    });

    it('refuses to review an automatically resolved conflict', async () => {
      const conflict = await pushConflict(a.id, {
        result: 'resolved',
        strategy: 'most_recent_wins (server)',
        winningVersion: 'server',
      });
      expectErrorBody(
        await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
          key: a.adminKey,
          body: { choose: 'client' },
        }),
        409,
        'ALREADY_RESOLVED',
      );
    });
  });

  describe('restore', () => {
    it('writes the losing copy of an automatic resolution as a new version, once', async () => {
      const conflict = await pushConflict(a.id, {
        result: 'resolved',
        strategy: 'most_recent_wins (server)',
        winningVersion: 'server',
        resolvedBy: 'policy',
        resolvedAt: new Date(),
      });
      const restored = await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/restore`, { key: a.adminKey });
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({
        id: conflict.id,
        restored_by: 'admin-user',
        restored_at: expect.any(String),
        record_version: 2,
      });
      const state = await recordState(a.id, conflict.mobileId);
      expect(state.record).toEqual({ version: 2, data: conflict.client });
      expect(state.revisions.map((r: { origin: string }) => r.origin)).toEqual(['push', 'restore']);
      expectErrorBody(
        await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/restore`, { key: a.adminKey }),
        409,
        'CONFLICT',
      );
    });

    it('restores the server copy when the client won', async () => {
      const conflict = await pushConflict(a.id, {
        result: 'resolved',
        strategy: 'client_wins',
        winningVersion: 'client',
      });
      await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/restore`, { key: a.adminKey });
      expect((await recordState(a.id, conflict.mobileId)).record.data).toEqual(conflict.server);
    });

    it('refuses a conflict awaiting review and one logged by the resolve API', async () => {
      const pending = await pushConflict(a.id);
      expectErrorBody(await call(t, 'POST', `/api/v1/conflicts/${pending.id}/restore`, { key: a.adminKey }), 409);
      const api = await call(t, 'POST', '/api/v1/conflicts/resolve', {
        key: a.adminKey,
        body: { domain: 'attendance', server_entry: { a: 1 }, client_entry: { a: 2 } },
      });
      expectErrorBody(
        await call(t, 'POST', `/api/v1/conflicts/${api.body.conflict_id}/restore`, { key: a.adminKey }),
        409,
      );
    });
  });

  describe('log, hotspots and report', () => {
    let c: TestTenant;
    beforeAll(async () => {
      c = await t.createTenant('Tenant C');
      const body = (domain: string) => ({ domain, server_entry: { a: 1 }, client_entry: { a: 2 } });
      for (const domain of ['task', 'task', 'task', 'ticket', 'ticket', 'journal', 'attendance', 'work_order']) {
        await call(t, 'POST', '/api/v1/conflicts/resolve', {
          key: c.syncKey,
          device: `dev-${domain}`,
          body: body(domain),
        });
      }
      await call(t, 'POST', '/api/v1/conflicts/resolve', { key: c.adminKey, body: body('inspection') });
      for (let i = 0; i < 5; i++) {
        await call(t, 'POST', '/api/v1/conflicts/resolve', { key: b.syncKey, body: body('attendance') });
      }
    });

    it('pages through the log newest first with an opaque cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await call(t, 'GET', `/api/v1/conflicts?limit=4${query}`, { key: c.adminKey });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(4);
        seen.push(...page.body.items.map((item: { id: string }) => item.id));
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toHaveLength(9);
      expect(new Set(seen).size).toBe(9);
      const all = await call(t, 'GET', '/api/v1/conflicts?limit=200', { key: c.adminKey });
      expect(all.body.items.map((item: { id: string }) => item.id)).toEqual(seen);
      const times = all.body.items.map((item: { created_at: string }) => item.created_at);
      expect([...times].sort().reverse()).toEqual(times);
      expect(all.body.next_cursor).toBeNull();
    });

    it('filters by domain, result and since', async () => {
      const tasks = await call(t, 'GET', '/api/v1/conflicts?domain=task', { key: c.adminKey });
      expect(tasks.body.items).toHaveLength(3);
      const manual = await call(t, 'GET', '/api/v1/conflicts?result=manual_required', { key: c.adminKey });
      expect(manual.body.items.map((item: { domain: string }) => item.domain)).toEqual(['inspection']);
      const future = await call(t, 'GET', `/api/v1/conflicts?since=2999-01-01T00:00:00Z`, { key: c.adminKey });
      expect(future.body.items).toEqual([]);
      const past = await call(t, 'GET', `/api/v1/conflicts?since=2000-01-01T00:00:00%2B05:30`, { key: c.adminKey });
      expect(past.body.items).toHaveLength(9);
    });

    it('rejects a bad cursor, limit, result or since with 400', async () => {
      for (const query of [
        'cursor=nope',
        'cursor=MTIzOmFiYw',
        'limit=0',
        'limit=201',
        'limit=x',
        'result=won',
        'since=today',
      ]) {
        expectErrorBody(await call(t, 'GET', `/api/v1/conflicts?${query}`, { key: c.adminKey }), 400);
      }
    });

    it('ranks the tenant hotspots without counting other tenants', async () => {
      const result = await call(t, 'GET', '/api/v1/conflicts/hotspots?days=7', { key: c.adminKey });
      expect(result.status).toBe(200);
      expect(result.body).toEqual([
        { domain: 'task', conflict_count: 3 },
        { domain: 'ticket', conflict_count: 2 },
        { domain: 'attendance', conflict_count: 1 },
        { domain: 'inspection', conflict_count: 1 },
        { domain: 'journal', conflict_count: 1 },
      ]);
      const other = await call(t, 'GET', '/api/v1/conflicts/hotspots', { key: b.adminKey });
      expect(other.body[0]).toEqual({ domain: 'attendance', conflict_count: expect.any(Number) });
      expect(other.body.find((h: { domain: string }) => h.domain === 'task')).toBeUndefined();
    });

    it('reports counts by domain, strategy and result, pending reviews and top devices', async () => {
      const result = await call(t, 'GET', '/api/v1/conflicts/report?days=30', { key: c.adminKey });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({
        days: 30,
        total: 9,
        pending_reviews: 1,
        by_result: [
          { result: 'resolved', count: 8 },
          { result: 'manual_required', count: 1 },
        ],
      });
      expect(result.body.by_domain[0]).toEqual({ domain: 'task', count: 3 });
      expect(result.body.by_strategy).toEqual(
        expect.arrayContaining([
          { strategy: 'most_recent_wins (server)', count: 4 },
          { strategy: 'manual', count: 1 },
        ]),
      );
      expect(result.body.top_devices).toHaveLength(5);
      expect(result.body.top_devices[0]).toEqual({ device_id: 'dev-task', conflict_count: 3 });
    });

    it('validates days 1..365', async () => {
      for (const days of ['0', '366', 'abc', '1.5']) {
        expectErrorBody(await call(t, 'GET', `/api/v1/conflicts/hotspots?days=${days}`, { key: c.adminKey }), 400);
        expectErrorBody(await call(t, 'GET', `/api/v1/conflicts/report?days=${days}`, { key: c.adminKey }), 400);
      }
    });
  });

  describe('the review queue (awaiting_review)', () => {
    let q: TestTenant;
    /** Conflicts awaiting review, newest first. */
    let waiting: string[];
    let others: string[];
    const ids = (page: { body: { items: Array<{ id: string }> } }) => page.body.items.map((item) => item.id);

    beforeAll(async () => {
      q = await t.createTenant('Tenant Q');
      const oldest = await pushConflict(q.id);
      const reviewed = await pushConflict(q.id);
      const automatic = await pushConflict(q.id, {
        strategy: 'server_wins',
        result: 'resolved',
        winningVersion: 'server',
        resultEntry: { jobstatus: 'COMPLETED' },
        resolvedBy: 'policy',
        resolvedAt: new Date(),
      });
      const failed = await pushConflict(q.id, { result: 'failed' });
      const middle = await pushConflict(q.id);
      const ticket = await pushConflict(q.id, { domain: 'ticket' });
      const answer = await call(t, 'POST', `/api/v1/conflicts/${reviewed.id}/resolve`, {
        key: q.adminKey,
        body: { choose: 'server' },
      });
      expect(answer.status).toBe(200);
      waiting = [ticket.id, middle.id, oldest.id];
      others = [failed.id, automatic.id, reviewed.id];
    });

    it('lists only the manual_required conflicts nobody resolved, newest first, as many as the report counts', async () => {
      const page = await call(t, 'GET', '/api/v1/conflicts?awaiting_review=true', { key: q.adminKey });
      expect(page.status).toBe(200);
      expect(ids(page)).toEqual(waiting);
      for (const item of page.body.items) {
        expect(item).toMatchObject({ resolution_result: 'manual_required', resolved_at: null });
        expect(item.merge_details).toEqual(expect.objectContaining({ conflicting_fields: ['jobstatus'] }));
      }
      expect(page.body.next_cursor).toBeNull();
      const report = await call(t, 'GET', '/api/v1/conflicts/report?days=1', { key: q.adminKey });
      expect(report.body.pending_reviews).toBe(waiting.length);
    });

    it('lists every other conflict with awaiting_review=false', async () => {
      const page = await call(t, 'GET', '/api/v1/conflicts?awaiting_review=false', { key: q.adminKey });
      expect(ids(page)).toEqual(others);
    });

    it('pages through the queue with a cursor and combines with the other filters', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await call(t, 'GET', `/api/v1/conflicts?awaiting_review=true&limit=2${query}`, {
          key: q.adminKey,
        });
        seen.push(...ids(page));
        cursor = page.body.next_cursor;
      } while (cursor && seen.length < 10);
      expect(seen).toEqual(waiting);
      const tasks = await call(t, 'GET', '/api/v1/conflicts?awaiting_review=true&domain=task', { key: q.adminKey });
      expect(ids(tasks)).toEqual(waiting.slice(1));
      const resolved = await call(t, 'GET', '/api/v1/conflicts?awaiting_review=true&result=resolved', {
        key: q.adminKey,
      });
      expect(ids(resolved)).toEqual([]);
      const future = await call(t, 'GET', '/api/v1/conflicts?awaiting_review=true&since=2999-01-01T00:00:00Z', {
        key: q.adminKey,
      });
      expect(ids(future)).toEqual([]);
    });

    it('leaves the queue once a reviewer resolves the conflict, and never shows another tenant queue', async () => {
      const [newest, ...rest] = waiting;
      const answer = await call(t, 'POST', `/api/v1/conflicts/${newest}/resolve`, {
        key: q.adminKey,
        body: { choose: 'client' },
      });
      expect(answer.status).toBe(200);
      const page = await call(t, 'GET', '/api/v1/conflicts?awaiting_review=true', { key: q.adminKey });
      expect(ids(page)).toEqual(rest);
      const elsewhere = await call(t, 'GET', '/api/v1/conflicts?awaiting_review=true&limit=200', { key: a.adminKey });
      expect(ids(elsewhere)).not.toContain(rest[0]);
    });

    it('rejects an awaiting_review that is not true or false with 400', async () => {
      for (const value of ['yes', '1', 'TRUE', '']) {
        const answer = await call(t, 'GET', `/api/v1/conflicts?awaiting_review=${value}`, { key: q.adminKey });
        expectErrorBody(answer, 400);
        expect(answer.body.error.details).toEqual([
          expect.objectContaining({ field: 'awaiting_review', message: 'awaiting_review must be true or false' }),
        ]);
      }
    });
  });

  describe('isolation and auth', () => {
    it('hides another tenant conflicts and answers 404 for them', async () => {
      const conflict = await pushConflict(b.id);
      expectErrorBody(await call(t, 'GET', `/api/v1/conflicts/${conflict.id}`, { key: a.adminKey }), 404, 'NOT_FOUND');
      expectErrorBody(
        await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/resolve`, {
          key: a.adminKey,
          body: { choose: 'client' },
        }),
        404,
      );
      expectErrorBody(await call(t, 'POST', `/api/v1/conflicts/${conflict.id}/restore`, { key: a.adminKey }), 404);
      const list = await call(t, 'GET', '/api/v1/conflicts?limit=200', { key: a.adminKey });
      expect(list.body.items.map((item: { id: string }) => item.id)).not.toContain(conflict.id);
      expect((await call(t, 'GET', `/api/v1/conflicts/${conflict.id}`, { key: b.adminKey })).status).toBe(200);
    });

    it('answers a malformed or unknown id with 404', async () => {
      expectErrorBody(await call(t, 'GET', '/api/v1/conflicts/not-a-uuid', { key: a.adminKey }), 404);
      expectErrorBody(await call(t, 'GET', `/api/v1/conflicts/${randomUUID()}`, { key: a.adminKey }), 404);
      expectErrorBody(
        await call(t, 'POST', '/api/v1/conflicts/not-a-uuid/resolve', { key: a.adminKey, body: { choose: 'client' } }),
        404,
      );
    });

    it('answers 401 without a credential and 403 for a sync key on admin routes', async () => {
      const admin: Array<[string, string, unknown?]> = [
        ['GET', '/api/v1/conflict-policies'],
        ['PUT', '/api/v1/conflict-policies/task', { resolution_policy: 'client_wins' }],
        ['DELETE', '/api/v1/conflict-policies/task'],
        ['GET', '/api/v1/conflicts'],
        ['GET', `/api/v1/conflicts/${randomUUID()}`],
        ['POST', `/api/v1/conflicts/${randomUUID()}/resolve`, { choose: 'client' }],
        ['POST', `/api/v1/conflicts/${randomUUID()}/restore`],
        ['GET', '/api/v1/conflicts/hotspots'],
        ['GET', '/api/v1/conflicts/report'],
      ];
      for (const [method, path, body] of admin) {
        expectErrorBody(await call(t, method, path, { body }), 401, 'UNAUTHORIZED');
        expectErrorBody(await call(t, method, path, { key: a.syncKey, body }), 403, 'FORBIDDEN');
      }
      expectErrorBody(
        await call(t, 'POST', '/api/v1/conflicts/resolve', {
          body: { domain: 'task', server_entry: {}, client_entry: {} },
        }),
        401,
      );
    });
  });

  describe('the services the push path and analytics call', () => {
    it('logs many conflicts in one call and notifies only those asking for it', async () => {
      const d = await t.createTenant('Tenant D');
      const rows: ConflictLogInsert[] = Array.from({ length: 50 }, (_, i) => ({
        id: randomUUID(),
        domain: 'work_order',
        mobileId: randomUUID(),
        deviceId: `dev-${i % 3}`,
        userId: 'user-1',
        serverVersion: 3,
        clientVersion: 4,
        baseVersion: 2,
        strategy: 'most_recent_wins (client)',
        result: 'resolved',
        winningVersion: 'client',
        mergeDetails: {
          from_client: ['workstatus'],
          from_server: [],
          conflicting_fields: ['workstatus'],
          three_way: true,
        },
        serverEntry: { workstatus: 'INPROGRESS', note: 'naïve ünïcode ✓' },
        clientEntry: { workstatus: 'COMPLETED' },
        baseEntry: i % 2 === 0 ? null : { workstatus: 'ASSIGNED' },
        resultEntry: { workstatus: 'COMPLETED' },
        source: 'push',
        queueItemId: String(1000 + i),
        clientMutationId: `m-${i}`,
        resolvedBy: 'policy',
        resolvedAt: new Date('2025-09-28T12:00:00Z'),
        notify: i < 10,
      }));
      await t.db.transaction((manager) => conflicts.recordConflicts(manager, d.id, rows));
      const [count] = await t.db.query(
        `SELECT count(*)::int AS n, count(base_entry)::int AS b FROM conflict_log WHERE tenant_id = $1`,
        [d.id],
      );
      expect(count).toEqual({ n: 50, b: 25 });
      const [outbox] = await t.db.query(`SELECT count(*)::int AS n FROM notification_outbox WHERE tenant_id = $1`, [
        d.id,
      ]);
      expect(outbox.n).toBe(10);
      const one = await call(t, 'GET', `/api/v1/conflicts/${rows[1].id}`, { key: d.adminKey });
      expect(one.body).toMatchObject({
        queue_item_id: '1001',
        client_mutation_id: 'm-1',
        base_entry: { workstatus: 'ASSIGNED' },
        server_entry: { note: 'naïve ünïcode ✓' },
        resolved_at: '2025-09-28T12:00:00.000Z',
      });
      expect((await call(t, 'GET', `/api/v1/conflicts/${rows[0].id}`, { key: d.adminKey })).body.base_entry).toBeNull();
    });

    it('gives the effective policy of every domain in one call', async () => {
      const d = await t.createTenant('Tenant E');
      await call(t, 'PUT', '/api/v1/conflict-policies/attendance', {
        key: d.adminKey,
        body: { resolution_policy: 'client_wins', notify_on_conflict: true },
      });
      const policies = await t.app.get(ConflictPolicyService).policiesFor(t.db, d.id);
      expect([...policies.keys()]).toEqual(['journal', 'attendance', 'task', 'ticket', 'work_order']);
      expect(policies.get('attendance')).toMatchObject({
        resolution_policy: 'client_wins',
        source: 'tenant',
        notify_on_conflict: true,
      });
      expect(policies.get('task')).toMatchObject({ resolution_policy: 'most_recent_wins', source: 'default' });
      const report = await t.app.get(ConflictReportService).report(d.id, 7);
      expect(report).toMatchObject({ total: 0, pending_reviews: 0, by_domain: [], top_devices: [] });
    });
  });
});
