import { defaultPolicy, EffectivePolicy } from '../conflict/conflict.policy';
import type { RecordRow } from '../sync/sync-record-store.service';
import {
  canonicalJson,
  correctedClientTime,
  InvariantBreach,
  InvariantCheck,
  estimateSyncSeconds,
  isPeakHour,
  mutationHash,
  ownerScope,
  planBatch,
  PlannedItem,
  recommendSyncTime,
  rejectItems,
  WriteGuard,
} from './queue.policy';

const ID = '550e8400-e29b-41d4-a716-446655440000';
const NOW = new Date('2025-09-28T12:30:00Z');

function item(overrides: Partial<PlannedItem>): PlannedItem {
  return {
    id: '1',
    device_id: 'dev-1',
    user_id: 'u1',
    client_mutation_id: 'm-1',
    domain: 'task',
    mobile_id: ID,
    base_version: 0,
    payload: { jobstatus: 'ASSIGNED' },
    deleted: false,
    client_updated_at: new Date('2025-09-28T09:00:00Z'),
    clock_offset_ms: null,
    priority: 1,
    ...overrides,
  };
}

function record(version: number, data: Record<string, unknown>, editedAt = '2025-09-28T10:00:00Z'): RecordRow {
  return {
    domain: 'task',
    mobile_id: ID,
    version,
    data,
    deleted: false,
    change_seq: '1',
    client_updated_at: new Date(editedAt),
    updated_at: new Date(editedAt),
  };
}

const policies = new Map<string, EffectivePolicy>([['task', defaultPolicy('task')]]);
let ids = 0;
const plan = (items: PlannedItem[], records: RecordRow[] = [], revisions: Parameters<typeof planBatch>[3] = []) =>
  planBatch({ now: NOW }, items, records, revisions, policies, defaultPolicy, () => `c-${++ids}`);

const breach: InvariantBreach = {
  reason: 'INVALID_TRANSITION',
  invariant: 'task_jobstatus',
  field: 'jobstatus',
  rule: { from: 'COMPLETED', to: 'ASSIGNED', rule: 'not_allowed' },
  message: 'jobstatus may not go from COMPLETED to ASSIGNED',
};
/** Refuses any write that sets jobstatus to ASSIGNED over another status. */
const noReopen: InvariantCheck = (_item, before, after) =>
  before !== null && before.jobstatus !== 'ASSIGNED' && after.data.jobstatus === 'ASSIGNED' ? breach : null;

describe('planBatch with domain invariants beside the write guard', () => {
  const withRules = (items: PlannedItem[], records: RecordRow[], guard?: WriteGuard) =>
    planBatch({ now: NOW, guard, invariant: noReopen }, items, records, [], policies, defaultPolicy, () => 'c-inv');

  it('sends an illegal move to review: a manual_required conflict keeping the device’s copy, nothing written', () => {
    const result = withRules(
      [item({ base_version: 1, payload: { jobstatus: 'ASSIGNED', remarks: 'redo' } })],
      [record(1, { jobstatus: 'COMPLETED' })],
    );
    expect(result.writes).toEqual([]);
    expect(result.statuses.get('1')).toBe('manual_required');
    expect(result.results.get('1')).toMatchObject({
      status: 'manual_required',
      conflict_id: 'c-inv',
      server_version: 1,
      winning_version: 'none',
      record: { version: 1, data: { jobstatus: 'COMPLETED' } },
    });
    expect(result.conflicts).toEqual([
      expect.objectContaining({
        strategy: 'invariant',
        result: 'manual_required',
        clientEntry: { jobstatus: 'ASSIGNED', remarks: 'redo' },
        serverEntry: { jobstatus: 'COMPLETED' },
        resultEntry: null,
        mergeDetails: expect.objectContaining({ reason: 'INVALID_TRANSITION', conflicting_fields: ['jobstatus'] }),
      }),
    ]);
  });

  it('checks the winning copy of an automatic resolution, not only fresh edits', () => {
    // most_recent_wins: the stale client edit is newer, so its jobstatus would win over COMPLETED.
    const result = withRules(
      [
        item({
          base_version: 1,
          payload: { jobstatus: 'ASSIGNED' },
          client_updated_at: new Date('2025-09-28T11:00:00Z'),
        }),
      ],
      [record(2, { jobstatus: 'COMPLETED' })],
    );
    expect(result.writes).toEqual([]);
    expect(result.conflicts).toEqual([expect.objectContaining({ strategy: 'invariant', serverVersion: 2 })]);
  });

  it('lets the scope guard refuse first: a forbidden write is rejected, never reviewed', () => {
    const forbid: WriteGuard = (_item, _before, after) =>
      after === null
        ? { allowed: true }
        : { allowed: false, readable: true, error: { code: 'FIELD_FORBIDDEN', message: 'no' } };
    const result = withRules(
      [item({ base_version: 1, payload: { jobstatus: 'ASSIGNED' } })],
      [record(1, { jobstatus: 'COMPLETED' })],
      forbid,
    );
    expect(result.results.get('1')).toMatchObject({ status: 'rejected', error: { code: 'FIELD_FORBIDDEN' } });
    expect(result.conflicts).toEqual([]);
  });

  it('writes a legal move and lets the next item of the batch see it', () => {
    const result = withRules(
      [
        item({ id: '1', base_version: 1, payload: { jobstatus: 'INPROGRESS' } }),
        item({ id: '2', client_mutation_id: 'm-2', base_version: 2, payload: { jobstatus: 'ASSIGNED' } }),
      ],
      [record(1, { jobstatus: 'ASSIGNED' })],
    );
    expect(result.writes.map((w) => w.data)).toEqual([{ jobstatus: 'INPROGRESS' }]);
    expect(result.results.get('2')).toMatchObject({ status: 'manual_required', server_version: 2 });
  });
});

describe('rejectItems', () => {
  it('turns a schema rejection into a per-item rejected result', () => {
    const result = plan([]);
    const error = { code: 'SCHEMA_INVALID', message: 'bad', details: [{ pointer: '/data/x', message: 'is required' }] };
    rejectItems(result, [item({ id: '9' })], new Map([['9', error]]));
    expect(result.statuses.get('9')).toBe('rejected');
    expect(result.results.get('9')).toMatchObject({ status: 'rejected', record: null, error });
  });
});

describe('planBatch', () => {
  it('creates a new record at version 1', () => {
    const result = plan([item({})]);
    expect(result.writes).toEqual([
      expect.objectContaining({ version: 1, data: { jobstatus: 'ASSIGNED' }, origin: 'push' }),
    ]);
    expect(result.results.get('1')).toMatchObject({ status: 'applied', server_version: 1 });
    expect(result.statuses.get('1')).toBe('processed');
  });

  it('applies a device’s successive edits of one record in queue order', () => {
    const result = plan([
      item({ id: '7', client_mutation_id: 'm-2', base_version: 1, payload: { step: 2 } }),
      item({ id: '5', client_mutation_id: 'm-1', base_version: 0, payload: { step: 1 } }),
    ]);
    expect(result.writes.map((w) => [w.version, w.data])).toEqual([
      [1, { step: 1 }],
      [2, { step: 2 }],
    ]);
    expect(result.conflicts).toEqual([]);
  });

  it('rejects an edit from a version the server never had', () => {
    const result = plan([item({ base_version: 4 })], [record(2, { jobstatus: 'INPROGRESS' })]);
    expect(result.results.get('1')).toMatchObject({
      status: 'rejected',
      server_version: 2,
      error: { code: 'VERSION_AHEAD' },
    });
    expect(result.writes).toEqual([]);
  });

  it('keeps the later server edit when the stale client edit is older (most_recent_wins)', () => {
    const result = plan(
      [
        item({
          base_version: 1,
          payload: { jobstatus: 'STANDBY' },
          client_updated_at: new Date('2025-09-28T11:00:00Z'),
        }),
      ],
      [record(2, { jobstatus: 'COMPLETED' }, '2025-09-28T12:00:00Z')],
    );
    expect(result.writes).toEqual([]);
    expect(result.results.get('1')).toMatchObject({ status: 'resolved', winning_version: 'server', server_version: 2 });
    expect(result.conflicts[0]).toMatchObject({
      strategy: 'most_recent_wins (server)',
      result: 'resolved',
      serverVersion: 2,
      clientVersion: 1,
    });
  });

  it('writes the client copy as a new version when the later client edit wins', () => {
    const result = plan(
      [
        item({
          base_version: 1,
          payload: { jobstatus: 'STANDBY' },
          client_updated_at: new Date('2025-09-28T12:10:00Z'),
        }),
      ],
      [record(2, { jobstatus: 'COMPLETED' }, '2025-09-28T12:00:00Z')],
    );
    expect(result.writes).toEqual([
      expect.objectContaining({ version: 3, data: { jobstatus: 'STANDBY' }, origin: 'conflict' }),
    ]);
    expect(result.results.get('1')).toMatchObject({
      status: 'resolved',
      winning_version: 'client',
      server_version: 3,
      record: null,
    });
  });

  it('takes the clock offset off before comparing edit times', () => {
    // The device clock is 2 h fast: its 13:00 edit happened at 11:00, before the server's 12:00 edit.
    const result = plan(
      [item({ base_version: 1, client_updated_at: new Date('2025-09-28T13:00:00Z'), clock_offset_ms: 2 * 3600_000 })],
      [record(2, { jobstatus: 'COMPLETED' }, '2025-09-28T12:00:00Z')],
    );
    expect(result.results.get('1')).toMatchObject({ winning_version: 'server' });
  });

  it('sends a conflict to review when the tenant turned auto-resolve off, leaving the record unchanged', () => {
    const manual = new Map([['task', { ...defaultPolicy('task'), auto_resolve: false, source: 'tenant' as const }]]);
    const result = planBatch(
      { now: NOW },
      [item({ base_version: 1 })],
      [record(2, { jobstatus: 'COMPLETED' })],
      [],
      manual,
      defaultPolicy,
    );
    expect(result.writes).toEqual([]);
    expect(result.statuses.get('1')).toBe('manual_required');
    expect(result.results.get('1')).toMatchObject({
      status: 'manual_required',
      server_version: 2,
      record: { version: 2 },
    });
    expect(result.conflicts[0]).toMatchObject({ result: 'manual_required', resolvedBy: null });
  });

  it('passes the base revision to the engine for a three-way merge', () => {
    const revisions = [{ domain: 'task', mobile_id: ID, version: 1, data: { jobstatus: 'ASSIGNED' }, deleted: false }];
    const result = plan([item({ base_version: 1 })], [record(2, { jobstatus: 'COMPLETED' })], revisions);
    expect(result.conflicts[0]).toMatchObject({ baseVersion: 1, baseEntry: { jobstatus: 'ASSIGNED' } });
  });
});

describe('queue rules', () => {
  it('recommends by tenant queue size and peak hours', () => {
    expect(recommendSyncTime(1500, false)).toEqual({ server_load: 'high', recommendation: 'sync_in_30min' });
    expect(recommendSyncTime(600, true)).toEqual({ server_load: 'medium', recommendation: 'sync_in_30min' });
    expect(recommendSyncTime(600, false)).toEqual({ server_load: 'medium', recommendation: 'sync_now' });
    expect(recommendSyncTime(100, true)).toEqual({ server_load: 'low', recommendation: 'sync_now' });
  });

  it('reads peak hours in the tenant timezone', () => {
    const at = new Date('2025-09-28T05:00:00Z');
    expect(isPeakHour('UTC', at, { start: 9, end: 17 })).toBe(false);
    expect(isPeakHour('Asia/Kolkata', at, { start: 9, end: 17 })).toBe(true);
    expect(isPeakHour('UTC', new Date('2025-09-28T17:59:00Z'), { start: 9, end: 17 })).toBe(true);
    expect(isPeakHour('UTC', new Date('2025-09-28T18:00:00Z'), { start: 9, end: 17 })).toBe(false);
  });

  it('estimates from measured time per item, 150 ms without history', () => {
    expect(estimateSyncSeconds(15, null)).toBe(3);
    expect(estimateSyncSeconds(100, 20)).toBe(2);
  });

  it('hashes a mutation the same whatever its key order or timestamp form', () => {
    const a = {
      domain: 'task',
      mobile_id: ID,
      base_version: 0,
      data: { a: 1, b: 2 },
      deleted: false,
      client_updated_at: '2025-09-28T09:00:00Z',
      priority: 'high',
    };
    const b = {
      ...a,
      mobile_id: ID.toUpperCase(),
      data: { b: 2, a: 1 },
      client_updated_at: '2025-09-28T09:00:00+00:00',
    };
    expect(mutationHash(a)).toBe(mutationHash(b));
    expect(mutationHash(a)).not.toBe(mutationHash({ ...a, data: { a: 1, b: 3 } }));
    // schema_version is hashed only when sent: an item without one hashes as before the field existed.
    expect(mutationHash({ ...a, schema_version: null })).toBe(mutationHash(a));
    expect(mutationHash({ ...a, schema_version: 1 })).not.toBe(mutationHash(a));
    expect(canonicalJson({ z: [1, { y: 1, x: 2 }] })).toBe('{"z":[1,{"x":2,"y":1}]}');
  });

  it('corrects a client timestamp by the device clock offset', () => {
    expect(
      correctedClientTime({ client_updated_at: new Date('2025-09-28T10:00:00Z'), clock_offset_ms: 60_000 }),
    ).toEqual(new Date('2025-09-28T09:59:00Z'));
    expect(correctedClientTime({ client_updated_at: null, clock_offset_ms: 60_000 })).toBeNull();
  });

  describe(ownerScope.name, () => {
    const principal = { tenantId: '7', userId: null, scopes: ['sync' as const], deviceId: null, credentialId: 'k' };

    it("acts on the calling user's device when it names one (a device id is its user's)", () => {
      expect(ownerScope({ ...principal, userId: 'u1', deviceId: 'dev-1' })).toEqual({
        deviceId: 'dev-1',
        userId: 'u1',
      });
    });

    it('acts on every device of the user when the call names no device', () => {
      expect(ownerScope({ ...principal, userId: 'u1' })).toEqual({ deviceId: null, userId: 'u1' });
    });

    it('gives an admin credential without a user the whole tenant', () => {
      expect(ownerScope({ ...principal, scopes: ['admin'] })).toEqual({ deviceId: null, userId: null });
    });

    it('refuses a sync credential without a user, with or without a device', () => {
      expect(() => ownerScope(principal)).toThrow(expect.objectContaining({ code: 'USER_REQUIRED' }));
      expect(() => ownerScope({ ...principal, deviceId: 'dev-1' })).toThrow(
        expect.objectContaining({ code: 'USER_REQUIRED' }),
      );
    });
  });
});
