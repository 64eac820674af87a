import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import type { SyncRecordsService } from '../sync/sync-records.service';
import type { ConflictLogInsert, ConflictLogRepository, ConflictLogRow } from './conflict-log.repository';
import { ConflictService } from './conflict.service';

const principal: Principal = {
  tenantId: '7',
  userId: 'admin-user',
  scopes: ['admin'],
  deviceId: null,
  credentialId: 'k1',
};

function insert(overrides: Partial<ConflictLogInsert> = {}): ConflictLogInsert {
  return {
    id: randomUUID(),
    domain: 'task',
    mobileId: randomUUID(),
    deviceId: 'd1',
    userId: 'u1',
    serverVersion: 2,
    clientVersion: 3,
    baseVersion: 1,
    strategy: 'server_wins',
    result: 'resolved',
    winningVersion: 'server',
    mergeDetails: {},
    serverEntry: {},
    clientEntry: {},
    baseEntry: null,
    resultEntry: {},
    source: 'push',
    queueItemId: null,
    clientMutationId: null,
    resolvedBy: 'policy',
    resolvedAt: null,
    notify: false,
    ...overrides,
  };
}

function setup() {
  const manager = {};
  const db = { transaction: jest.fn((work: (m: unknown) => unknown) => work(manager)) };
  const policies = { list: jest.fn(async () => []), upsert: jest.fn(), delete: jest.fn() };
  const logs = {
    insertMany: jest.fn(async () => undefined),
    findById: jest.fn(),
    page: jest.fn(async (): Promise<Partial<ConflictLogRow>[]> => []),
    markResolved: jest.fn(),
    markRestored: jest.fn(),
    countByDomain: jest.fn(async () => []),
    counts: jest.fn(),
  };
  const notifications = { enqueue: jest.fn(async () => undefined) };
  const records = { writeNewVersion: jest.fn(), current: jest.fn() };
  const service = new ConflictService(
    db as unknown as DataSource,
    policies,
    logs as unknown as ConflictLogRepository,
    notifications,
    records as unknown as SyncRecordsService,
  );
  return { service, db, manager, policies, logs, notifications, records };
}

describe(ConflictService.name, () => {
  it('overrides the defaults with the tenant policy rows', async () => {
    const { service, policies } = setup();
    policies.list.mockResolvedValue([
      {
        domain: 'ticket',
        resolution_policy: 'manual',
        auto_resolve: false,
        notify_on_conflict: true,
        protected_fields: null,
      },
    ] as never);
    const effective = await service.policiesFor({} as DataSource, '7');
    expect(effective.get('ticket')).toMatchObject({ resolution_policy: 'manual', source: 'tenant' });
    expect(effective.get('journal')).toMatchObject({ resolution_policy: 'client_wins', source: 'default' });
    expect(effective.size).toBe(5);
    expect(policies.list).toHaveBeenCalledTimes(1);
  });

  it('rejects manual with auto_resolve and an unknown domain before touching the database', async () => {
    const { service, policies } = setup();
    await expect(
      service.putPolicy(principal, 'task', { resolution_policy: 'manual', auto_resolve: true }),
    ).rejects.toBeInstanceOf(AppException);
    await expect(service.putPolicy(principal, 'invoice', { resolution_policy: 'client_wins' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(service.deletePolicy('7', 'invoice')).rejects.toMatchObject({ status: 400 });
    expect(policies.upsert).not.toHaveBeenCalled();
    expect(policies.delete).not.toHaveBeenCalled();
  });

  it('fills auto_resolve from the policy when it is omitted', async () => {
    const { service, policies } = setup();
    policies.upsert.mockImplementation(async (_db, _tenant, domain: string, settings: object) => ({
      domain,
      ...settings,
    }));
    await service.putPolicy(principal, 'task', { resolution_policy: 'manual' });
    await service.putPolicy(principal, 'journal', { resolution_policy: 'server_wins' });
    expect(policies.upsert.mock.calls.map((c: unknown[]) => c[3])).toEqual([
      { resolution_policy: 'manual', auto_resolve: false, notify_on_conflict: false, protected_fields: null },
      { resolution_policy: 'server_wins', auto_resolve: true, notify_on_conflict: false, protected_fields: null },
    ]);
  });

  it('answers 404 when the tenant has no override to delete', async () => {
    const { service, policies } = setup();
    policies.delete.mockResolvedValue(false);
    await expect(service.deletePolicy('7', 'task')).rejects.toMatchObject({ status: 404 });
  });

  it('logs a batch with one insert and one enqueue of the notifying conflicts only', async () => {
    const { service, logs, notifications } = setup();
    const batch = [insert(), insert({ notify: true, domain: 'ticket' }), insert()];
    await service.recordConflicts({} as DataSource, '7', batch);
    expect(logs.insertMany).toHaveBeenCalledTimes(1);
    expect(logs.insertMany).toHaveBeenCalledWith({}, '7', batch);
    expect(notifications.enqueue).toHaveBeenCalledTimes(1);
    const queued = (notifications.enqueue.mock.calls[0] as unknown[])[2] as Array<{ payload: { conflict_id: string } }>;
    expect(queued.map((n) => n.payload.conflict_id)).toEqual([batch[1].id]);
  });

  it('does nothing for an empty batch', async () => {
    const { service, logs, notifications } = setup();
    await service.recordConflicts({} as DataSource, '7', []);
    expect(logs.insertMany).not.toHaveBeenCalled();
    expect(notifications.enqueue).not.toHaveBeenCalled();
  });

  it('requires merged_entry with choose=merged and only then', async () => {
    const { service, db } = setup();
    const id = randomUUID();
    await expect(service.resolveManually(principal, id, 'merged', undefined)).rejects.toMatchObject({ status: 400 });
    await expect(service.resolveManually(principal, id, 'client', { a: 1 })).rejects.toMatchObject({ status: 400 });
    expect(db.transaction).not.toHaveBeenCalled();
  });

  it('answers 409 ALREADY_RESOLVED when the conflict no longer awaits review, and writes nothing', async () => {
    const { service, logs, records } = setup();
    logs.markResolved.mockResolvedValue(undefined);
    logs.findById.mockResolvedValue({ resolution_result: 'manual_required', resolved_at: new Date() });
    await expect(service.resolveManually(principal, randomUUID(), 'client', undefined)).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_RESOLVED',
    });
    expect(records.writeNewVersion).not.toHaveBeenCalled();
  });

  it('writes the chosen copy with origin manual after marking the log', async () => {
    const { service, logs, records, manager } = setup();
    const row = { source: 'push', domain: 'task', mobile_id: randomUUID(), result_entry: { jobstatus: 'COMPLETED' } };
    logs.markResolved.mockResolvedValue(row);
    records.writeNewVersion.mockResolvedValue({ version: 4, change_seq: '9' });
    const result = await service.resolveManually(principal, randomUUID(), 'server', undefined);
    expect(result.recordVersion).toBe(4);
    expect(records.writeNewVersion).toHaveBeenCalledWith(manager, '7', {
      domain: 'task',
      mobileId: row.mobile_id,
      data: { jobstatus: 'COMPLETED' },
      userId: 'admin-user',
      deviceId: null,
      origin: 'manual',
    });
  });

  it('restores the client copy when the server or a merge won', async () => {
    const { service, logs, records } = setup();
    logs.markRestored.mockResolvedValue({
      domain: 'task',
      mobile_id: randomUUID(),
      winning_version: 'merged',
      server_entry: { s: 1 },
      client_entry: { c: 1 },
    });
    records.writeNewVersion.mockResolvedValue({ version: 3, change_seq: '1' });
    await service.restore(principal, randomUUID());
    expect(records.writeNewVersion).toHaveBeenCalledWith(
      expect.anything(),
      '7',
      expect.objectContaining({ data: { c: 1 }, origin: 'restore' }),
    );
  });

  it('answers 404 for a malformed id without a query', async () => {
    const { service, logs } = setup();
    await expect(service.get('7', 'abc')).rejects.toMatchObject({ status: 404 });
    await expect(service.restore(principal, 'abc')).rejects.toMatchObject({ status: 404 });
    expect(logs.findById).not.toHaveBeenCalled();
  });

  it('pages with limit+1 rows and an opaque cursor the next call decodes', async () => {
    const { service, logs } = setup();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    logs.page.mockResolvedValueOnce(ids.map((id, i) => ({ id, created_us: String(1_700_000_000_000_000 - i) })));
    const page = await service.list('7', { limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.next_cursor).not.toBeNull();
    await service.list('7', { limit: 2, cursor: page.next_cursor! });
    expect((logs.page.mock.calls[1] as unknown[])[2]).toMatchObject({
      after: { createdUs: '1699999999999999', id: ids[1] },
    });
    expect((logs.page.mock.calls[1] as unknown[])[3]).toBe(3);
    await expect(service.list('7', { cursor: 'garbage' })).rejects.toMatchObject({ status: 400 });
    await expect(service.list('7', { since: 'noon' })).rejects.toMatchObject({ status: 400 });
  });

  it('validates the report window', async () => {
    const { service } = setup();
    for (const days of [0, 366, 1.5, NaN]) {
      await expect(service.hotspots('7', days)).rejects.toMatchObject({ status: 400 });
      await expect(service.report('7', days)).rejects.toMatchObject({ status: 400 });
    }
  });

  it('counts hotspots in the window ending at the given instant', async () => {
    const { service, logs } = setup();
    logs.countByDomain.mockResolvedValue([{ key: 'task', count: 3 }] as never);
    const until = new Date('2025-09-28T00:00:00Z');
    expect(await service.hotspots('7', 7, until)).toEqual([{ domain: 'task', conflict_count: 3 }]);
    expect(logs.countByDomain).toHaveBeenCalledWith(expect.anything(), '7', new Date('2025-09-21T00:00:00Z'), until, 5);
  });
});
