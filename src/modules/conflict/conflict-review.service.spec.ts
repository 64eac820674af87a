import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import type { SyncRecordsService } from '../sync/sync-records.service';
import type { ConflictLogRepository, ConflictLogRow } from './conflict-log.repository';
import { AppConfig } from '../../config/app-config';
import { ConflictReviewService } from './conflict-review.service';

const principal: Principal = {
  tenantId: '7',
  userId: 'admin-user',
  scopes: ['admin'],
  deviceId: null,
  credentialId: 'k1',
};

function row(overrides: Partial<ConflictLogRow> = {}): ConflictLogRow {
  return {
    id: randomUUID(),
    domain: 'task',
    mobile_id: randomUUID(),
    device_id: 'd1',
    user_id: 'u1',
    server_version: 2,
    client_version: 3,
    base_version: 1,
    resolution_strategy: 'manual',
    resolution_result: 'manual_required',
    winning_version: 'none',
    merge_details: { from_client: [], from_server: [], conflicting_fields: ['jobstatus'], three_way: true },
    server_entry: { jobstatus: 'COMPLETED' },
    client_entry: { jobstatus: 'STANDBY' },
    base_entry: null,
    result_entry: null,
    source: 'push',
    queue_item_id: null,
    client_mutation_id: null,
    resolved_by: null,
    resolved_at: null,
    restored_by: null,
    restored_at: null,
    created_at: new Date('2025-09-28T12:00:00Z'),
    created_us: '1759060800000000',
    ...overrides,
  };
}

function setup() {
  const manager = {};
  const db = { transaction: jest.fn((work: (m: unknown) => unknown) => work(manager)) };
  const logs = {
    findById: jest.fn(),
    page: jest.fn(async (): Promise<{ rows: ConflictLogRow[]; fetched: number }> => ({ rows: [], fetched: 0 })),
    markResolved: jest.fn(),
    markRestored: jest.fn(),
  };
  const records = { writeNewVersion: jest.fn() };
  const service = new ConflictReviewService(
    db as unknown as DataSource,
    logs as unknown as ConflictLogRepository,
    records as unknown as SyncRecordsService,
    AppConfig.fromEnv({}, {}),
  );
  return { service, db, manager, logs, records };
}

describe(ConflictReviewService.name, () => {
  it('requires merged_entry with choose=merged and only then', async () => {
    const { service, db } = setup();
    const id = randomUUID();
    await expect(service.resolve(principal, id, { choose: 'merged' })).rejects.toMatchObject({ status: 400 });
    await expect(service.resolve(principal, id, { choose: 'client', merged_entry: { a: 1 } })).rejects.toMatchObject({
      status: 400,
    });
    expect(db.transaction).not.toHaveBeenCalled();
  });

  it('answers 409 ALREADY_RESOLVED when the conflict no longer awaits review, and writes nothing', async () => {
    const { service, logs, records } = setup();
    logs.markResolved.mockResolvedValue(undefined);
    logs.findById.mockResolvedValue(row({ resolved_at: new Date() }));
    await expect(service.resolve(principal, randomUUID(), { choose: 'client' })).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_RESOLVED',
    });
    expect(records.writeNewVersion).not.toHaveBeenCalled();
  });

  it('writes the chosen copy with origin manual after marking the log', async () => {
    const { service, logs, records, manager } = setup();
    const resolved = row({ winning_version: 'server', result_entry: { jobstatus: 'COMPLETED' } });
    logs.markResolved.mockResolvedValue(resolved);
    records.writeNewVersion.mockResolvedValue({ version: 4, change_seq: '9' });
    const result = await service.resolve(principal, randomUUID(), { choose: 'server' });
    expect(result).toMatchObject({ id: resolved.id, record_version: 4, created_at: '2025-09-28T12:00:00.000Z' });
    expect(result).not.toHaveProperty('created_us');
    expect(records.writeNewVersion).toHaveBeenCalledWith(manager, '7', {
      domain: 'task',
      mobileId: resolved.mobile_id,
      data: { jobstatus: 'COMPLETED' },
      userId: 'admin-user',
      deviceId: null,
      origin: 'manual',
    });
  });

  it('restores the client copy when the server or a merge won', async () => {
    const { service, logs, records } = setup();
    logs.markRestored.mockResolvedValue(
      row({ resolution_result: 'resolved', winning_version: 'merged', server_entry: { s: 1 }, client_entry: { c: 1 } }),
    );
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
    const rows = [0, 1, 2].map((i) => row({ created_us: String(1_700_000_000_000_000 - i) }));
    logs.page.mockResolvedValueOnce({ rows, fetched: rows.length });
    const page = await service.list('7', { limit: 2 });
    expect(page.items.map((item) => item.id)).toEqual([rows[0].id, rows[1].id]);
    expect(page.next_cursor).not.toBeNull();
    await service.list('7', { limit: 2, cursor: page.next_cursor! });
    expect((logs.page.mock.calls[1] as unknown[])[2]).toMatchObject({
      after: { createdUs: '1699999999999999', id: rows[1].id },
    });
    expect((logs.page.mock.calls[1] as unknown[])[3]).toBe(3);
    await expect(service.list('7', { cursor: 'garbage' })).rejects.toMatchObject({ status: 400 });
    await expect(service.list('7', { since: 'noon' })).rejects.toMatchObject({ status: 400 });
  });

  it('passes the awaiting-review filter through and leaves it out when not asked', async () => {
    const { service, logs } = setup();
    await service.list('7', { awaiting_review: true });
    await service.list('7', {});
    expect((logs.page.mock.calls[0] as unknown[])[2]).toMatchObject({ awaitingReview: true });
    expect((logs.page.mock.calls[1] as unknown[])[2]).toMatchObject({ awaitingReview: null });
  });
});
