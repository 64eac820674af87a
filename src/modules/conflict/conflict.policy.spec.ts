import fc from 'fast-check';
import { DOMAINS } from '../../common/domain';
import { AppException } from '../../common/errors/app-exception';
import {
  DEFAULT_POLICIES,
  defaultPolicy,
  Entry,
  ESCALATION_FIELDS,
  PolicySettings,
  resolveConflict,
  ResolutionPolicy,
} from './conflict.policy';

function policy(resolution_policy: ResolutionPolicy, overrides: Partial<PolicySettings> = {}): PolicySettings {
  return {
    resolution_policy,
    auto_resolve: resolution_policy !== 'manual',
    notify_on_conflict: false,
    protected_fields: null,
    ...overrides,
  };
}

const MOBILE_ID = '550e8400-e29b-41d4-a716-446655440000';

function ticket(overrides: Entry = {}): Entry {
  return {
    mobile_id: MOBILE_ID,
    ticketno: 'T04812',
    ticketdesc: 'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
    status: 'OPEN',
    priority: 'HIGH',
    comments: '',
    assignedtopeople: 3301,
    updated_at: '2025-09-28T10:00:00Z',
    ...overrides,
  };
}

function task(overrides: Entry = {}): Entry {
  return {
    mobile_id: MOBILE_ID,
    jobdesc: 'Fire extinguisher check - Floor 3 East',
    jobstatus: 'INPROGRESS',
    remarks: '',
    starttime: '2025-09-28T10:07:12+05:30',
    endtime: null,
    updated_at: '2025-09-28T10:00:00Z',
    ...overrides,
  };
}

describe('defaultPolicy', () => {
  it.each([
    ['journal', 'client_wins'],
    ['attendance', 'server_wins'],
    ['task', 'most_recent_wins'],
    ['ticket', 'preserve_escalation'],
    ['work_order', 'most_recent_wins'],
  ])('gives %s the default %s, resolved automatically', (domain, expected) => {
    expect(defaultPolicy(domain)).toEqual({
      domain,
      source: 'default',
      resolution_policy: expected,
      auto_resolve: true,
      notify_on_conflict: false,
      protected_fields: null,
    });
  });

  it('covers every domain', () => {
    expect(Object.keys(DEFAULT_POLICIES).sort()).toEqual([...DOMAINS].sort());
  });

  it('sends an unknown domain to manual review', () => {
    const unknown = defaultPolicy('inspection');
    expect(unknown).toMatchObject({ resolution_policy: 'manual', auto_resolve: false });
    const result = resolveConflict(unknown, { server: { a: 1 }, client: { a: 2 } });
    expect(result).toMatchObject({ resolution: 'manual_required', winning_entry: null, winning_version: 'none' });
    expect(result.merge_details.conflicting_fields).toEqual(['a']);
  });
});

describe('resolveConflict, two-way', () => {
  it('lets the client copy of a journal entry win', () => {
    const server = { title: 'Night shift', content: 'Quiet night.', is_bookmarked: false };
    const client = { title: 'Night shift', content: 'Quiet night. Lift 3 grinding again.', is_draft: false };
    const result = resolveConflict(defaultPolicy('journal'), { server, client });
    expect(result).toEqual({
      resolution: 'resolved',
      winning_entry: client,
      strategy_used: 'client_wins',
      merge_details: {
        from_client: ['content', 'is_bookmarked', 'is_draft'],
        from_server: [],
        conflicting_fields: ['content', 'is_bookmarked', 'is_draft'],
        three_way: false,
      },
      winning_version: 'client',
    });
  });

  it('keeps the server copy of an attendance punch', () => {
    const server = { punchintime: '2025-09-27T21:58:41+05:30', punchouttime: '2025-09-28T06:03:12+05:30' };
    const client = { punchintime: '2025-09-27T21:58:41+05:30', punchouttime: null };
    const result = resolveConflict(defaultPolicy('attendance'), { server, client });
    expect(result.winning_entry).toEqual(server);
    expect(result).toMatchObject({ strategy_used: 'server_wins', winning_version: 'server' });
    expect(result.merge_details.from_server).toEqual(['punchouttime']);
  });

  it('returns the server entry when the server edited at 12:00Z and the client at 11:00Z', () => {
    const server = task({ jobstatus: 'COMPLETED', updated_at: '2025-09-28T12:00:00Z' });
    const client = task({ jobstatus: 'STANDBY', updated_at: '2025-09-28T11:00:00Z' });
    const result = resolveConflict(defaultPolicy('task'), { server, client });
    expect(result.winning_entry).toEqual(server);
    expect(result).toMatchObject({ strategy_used: 'most_recent_wins (server)', winning_version: 'server' });
  });

  it('returns the client entry of a work order edited later', () => {
    const server = { workstatus: 'INPROGRESS', updated_at: '2025-09-28T12:00:00Z' };
    const client = { workstatus: 'COMPLETED', updated_at: '2025-09-28T17:31:00+05:30' };
    const result = resolveConflict(defaultPolicy('work_order'), { server, client });
    expect(result.winning_entry).toEqual(client);
    expect(result).toMatchObject({ strategy_used: 'most_recent_wins (client)', winning_version: 'client' });
  });

  it('gives a tie to the server even when the offsets are written differently', () => {
    const server = task({ jobstatus: 'COMPLETED', updated_at: '2025-09-28T12:00:00Z' });
    const client = task({ jobstatus: 'STANDBY', updated_at: '2025-09-28T12:00:00+00:00' });
    expect(resolveConflict(defaultPolicy('task'), { server, client }).strategy_used).toBe('most_recent_wins (server)');
  });

  it('gives the server the win when the client sent no timestamp', () => {
    const server = task({ jobstatus: 'COMPLETED' });
    const client = task({ jobstatus: 'STANDBY', updated_at: undefined });
    expect(resolveConflict(defaultPolicy('task'), { server, client }).winning_version).toBe('server');
  });

  it('prefers explicit timestamps over the entries updated_at', () => {
    const server = task({ jobstatus: 'COMPLETED', updated_at: '2025-09-28T12:00:00Z' });
    const client = task({ jobstatus: 'STANDBY', updated_at: '2025-09-28T11:00:00Z' });
    const result = resolveConflict(defaultPolicy('task'), {
      server,
      client,
      serverUpdatedAt: new Date('2025-09-28T10:00:00Z'),
      clientUpdatedAt: '2025-09-28T10:30:00Z',
    });
    expect(result.strategy_used).toBe('most_recent_wins (client)');
  });

  it('rejects an unparseable timestamp with a validation error, never a crash', () => {
    const server = task();
    const client = task({ updated_at: 'last tuesday' });
    expect(() => resolveConflict(defaultPolicy('task'), { server, client })).toThrow(AppException);
  });

  it('keeps the server escalation when the client edits a ticket offline', () => {
    const server = ticket({
      status: 'INPROGRESS',
      escalation_level: 1,
      escalated_at: '2025-09-28T11:40:00+05:30',
      escalated_by: 'system',
    });
    const client = ticket({ status: 'RESOLVED', comments: 'Plumber fixed the valve' });
    const result = resolveConflict(defaultPolicy('ticket'), { server, client });
    expect(result.winning_entry).toEqual({
      ...client,
      status: 'INPROGRESS',
      escalation_level: 1,
      escalated_at: '2025-09-28T11:40:00+05:30',
      escalated_by: 'system',
    });
    expect(result.strategy_used).toBe('preserve_escalation');
    expect(result.winning_version).toBe('merged');
    expect(result.merge_details.protected_fields_kept).toEqual([
      'escalated_at',
      'escalated_by',
      'escalation_level',
      'status',
    ]);
    expect(result.merge_details.from_client).toEqual(['comments']);
  });

  it('reports only the protected fields it actually took from the server', () => {
    const server = ticket({ status: 'OPEN', escalation_level: 2 });
    const client = ticket({ status: 'OPEN', comments: 'On my way', escalation_level: 2 });
    const result = resolveConflict(defaultPolicy('ticket'), { server, client });
    expect(result.merge_details.protected_fields_kept).toEqual([]);
    expect(result.winning_entry).toEqual(client);
    expect(result.winning_version).toBe('client');
  });

  it('lets the client set a protected field the server does not have', () => {
    const server = ticket({ status: undefined });
    const client = ticket({ status: 'INPROGRESS' });
    const result = resolveConflict(defaultPolicy('ticket'), { server, client });
    expect(result.winning_entry?.status).toBe('INPROGRESS');
    expect(result.merge_details.protected_fields_kept).toEqual([]);
  });

  it('protects the tenant-chosen fields instead of the escalation fields when set', () => {
    const server = ticket({ status: 'ONHOLD', assignedtopeople: 77 });
    const client = ticket({ status: 'OPEN', assignedtopeople: 12 });
    const result = resolveConflict(policy('preserve_escalation', { protected_fields: ['assignedtopeople'] }), {
      server,
      client,
    });
    expect(result.winning_entry).toMatchObject({ status: 'OPEN', assignedtopeople: 77 });
    expect(result.merge_details.protected_fields_kept).toEqual(['assignedtopeople']);
  });

  it('sends a conflict to manual review when the tenant turned auto-resolve off', () => {
    const result = resolveConflict(policy('client_wins', { auto_resolve: false }), {
      server: { a: 1 },
      client: { a: 2 },
    });
    expect(result).toEqual({
      resolution: 'manual_required',
      winning_entry: null,
      strategy_used: 'manual',
      merge_details: { from_client: [], from_server: [], conflicting_fields: ['a'], three_way: false },
      winning_version: 'none',
    });
  });

  it('needs manual review under the manual policy', () => {
    expect(resolveConflict(policy('manual'), { server: { a: 1 }, client: { a: 2 } }).resolution).toBe(
      'manual_required',
    );
  });
  it('keeps a __proto__ key from JSON as plain data', () => {
    const client = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Entry;
    const result = resolveConflict(policy('client_wins'), { server: { a: 0 }, client });
    expect(Object.getPrototypeOf(result.winning_entry)).toBe(Object.prototype);
    expect(Object.keys(result.winning_entry!).sort()).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(result.winning_entry)).toContain('"__proto__":{"polluted":true}');
  });
});

describe('resolveConflict, three-way', () => {
  it('keeps a field changed on one side only and lets the policy decide the rest', () => {
    const base = task({ jobstatus: 'ASSIGNED', remarks: '', updated_at: '2025-09-28T09:00:00Z' });
    const server = { ...base, jobstatus: 'STANDBY', updated_at: '2025-09-28T12:00:00Z' };
    const client = { ...base, jobstatus: 'INPROGRESS', remarks: 'gauge low', updated_at: '2025-09-28T11:00:00Z' };
    const result = resolveConflict(defaultPolicy('task'), { server, client, base });
    expect(result.winning_entry).toEqual({
      ...base,
      jobstatus: 'STANDBY',
      remarks: 'gauge low',
      updated_at: server.updated_at,
    });
    expect(result.merge_details).toEqual({
      from_client: ['remarks'],
      from_server: ['jobstatus', 'updated_at'],
      conflicting_fields: ['jobstatus', 'updated_at'],
      three_way: true,
    });
    expect(result).toMatchObject({ winning_version: 'merged', strategy_used: 'most_recent_wins (server)' });
  });

  it('keeps a field the client removed while the server edited another', () => {
    const base = { a: 1, b: 2, c: 3 };
    const server = { a: 1, b: 20, c: 3 };
    const client = { a: 1, b: 2 };
    const result = resolveConflict(policy('server_wins'), { server, client, base });
    expect(result.winning_entry).toEqual({ a: 1, b: 20 });
    expect(result.merge_details).toMatchObject({ from_client: ['c'], from_server: ['b'], conflicting_fields: [] });
    expect(result.winning_version).toBe('merged');
  });

  it('keeps the server escalation on a ticket both sides changed', () => {
    const base = ticket({ status: 'OPEN' });
    const server = { ...base, status: 'INPROGRESS', escalation_level: 1, escalated_by: 'system' };
    const client = { ...base, status: 'RESOLVED', comments: 'Done' };
    const result = resolveConflict(defaultPolicy('ticket'), { server, client, base });
    expect(result.winning_entry).toEqual({
      ...base,
      status: 'INPROGRESS',
      escalation_level: 1,
      escalated_by: 'system',
      comments: 'Done',
    });
    expect(result.merge_details.protected_fields_kept).toEqual(['status']);
    expect(result.winning_version).toBe('merged');
  });

  it('is the client copy when only the client changed anything', () => {
    const base = { a: 1, b: 2 };
    const result = resolveConflict(policy('server_wins'), { server: base, client: { a: 1, b: 3 }, base });
    expect(result).toMatchObject({ winning_entry: { a: 1, b: 3 }, winning_version: 'client' });
  });

  it('needs no decision when both sides made the same change', () => {
    const base = { a: 1 };
    const result = resolveConflict(policy('client_wins'), { server: { a: 2 }, client: { a: 2 }, base });
    expect(result.winning_entry).toEqual({ a: 2 });
    expect(result.merge_details.conflicting_fields).toEqual([]);
  });

  it('lists only both-sided changes as conflicting fields when a review is needed', () => {
    const base = { a: 1, b: 1 };
    const result = resolveConflict(policy('manual'), { server: { a: 2, b: 1 }, client: { a: 3, b: 5 }, base });
    expect(result.merge_details).toEqual({
      from_client: [],
      from_server: [],
      conflicting_fields: ['a'],
      three_way: true,
    });
  });
});

const json = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', 'c'), fc.boolean(), fc.constant(null));
const fieldName = fc.constantFrom('f1', 'f2', 'f3', 'f4', 'f5', 'status', 'escalation_level');
const entry = fc.dictionary(fieldName, json, { maxKeys: 7 });
const autoPolicy = fc.record({
  resolution_policy: fc.constantFrom<ResolutionPolicy>(
    'client_wins',
    'server_wins',
    'most_recent_wins',
    'preserve_escalation',
  ),
  auto_resolve: fc.constant(true),
  notify_on_conflict: fc.boolean(),
  protected_fields: fc.option(fc.subarray(['f1', 'f2', 'status', ...ESCALATION_FIELDS]), { nil: null }),
});
/** Edits a base: changes, removes or adds some fields. */
function edited(base: Entry): fc.Arbitrary<Entry> {
  return fc.tuple(fc.dictionary(fieldName, fc.option(json, { nil: undefined }), { maxKeys: 4 })).map(([edits]) => {
    const next: Entry = { ...base };
    for (const [key, value] of Object.entries(edits)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    return next;
  });
}
const threeWay = entry.chain((base) => fc.tuple(fc.constant(base), edited(base), edited(base)));

describe('resolveConflict, properties', () => {
  it('client_wins returns exactly the client fields when there is no base', () => {
    fc.assert(
      fc.property(entry, entry, (server, client) => {
        const result = resolveConflict(policy('client_wins'), { server, client });
        expect(result.winning_entry).toEqual(client);
        expect(result.winning_version).toBe('client');
      }),
    );
  });

  it('server_wins returns exactly the server fields when there is no base', () => {
    fc.assert(
      fc.property(entry, entry, (server, client) => {
        expect(resolveConflict(policy('server_wins'), { server, client }).winning_entry).toEqual(server);
      }),
    );
  });

  it('a three-way merge never drops a field changed on one side only', () => {
    fc.assert(
      fc.property(autoPolicy, threeWay, (settings, [base, server, client]) => {
        const result = resolveConflict(settings, { server, client, base });
        const merged = result.winning_entry!;
        for (const key of new Set([...Object.keys(base), ...Object.keys(server), ...Object.keys(client)])) {
          const serverChanged = JSON.stringify(server[key]) !== JSON.stringify(base[key]);
          const clientChanged = JSON.stringify(client[key]) !== JSON.stringify(base[key]);
          if (clientChanged && !serverChanged) expect(merged[key]).toEqual(client[key]);
          if (serverChanged && !clientChanged) expect(merged[key]).toEqual(server[key]);
          if (!serverChanged && !clientChanged) expect(merged[key]).toEqual(base[key]);
          expect(Object.prototype.hasOwnProperty.call(merged, key)).toBe(merged[key] !== undefined);
        }
        for (const key of result.merge_details.conflicting_fields) {
          expect([server[key], client[key]]).toContainEqual(merged[key]);
        }
      }),
    );
  });

  it('a merge takes every field from one of the two sides', () => {
    fc.assert(
      fc.property(autoPolicy, threeWay, fc.boolean(), (settings, [base, server, client], withBase) => {
        const result = resolveConflict(settings, { server, client, base: withBase ? base : null });
        for (const [key, value] of Object.entries(result.winning_entry!)) {
          expect([server[key], client[key]]).toContainEqual(value);
        }
        if (result.winning_version === 'client') expect(result.winning_entry).toEqual(client);
        if (result.winning_version === 'server') expect(result.winning_entry).toEqual(server);
      }),
    );
  });

  it('resolution is deterministic', () => {
    fc.assert(
      fc.property(autoPolicy, threeWay, fc.boolean(), (settings, [base, server, client], withBase) => {
        const input = { server, client, base: withBase ? base : null };
        const first = resolveConflict(settings, input);
        expect(resolveConflict(settings, structuredClone(input))).toEqual(first);
        expect(resolveConflict(settings, { ...input, server: { ...server }, client: { ...client } })).toEqual(first);
      }),
    );
  });

  it('never mutates its inputs', () => {
    fc.assert(
      fc.property(autoPolicy, threeWay, (settings, [base, server, client]) => {
        const before = structuredClone({ base, server, client });
        resolveConflict(settings, { server, client, base });
        expect({ base, server, client }).toEqual(before);
      }),
    );
  });
});
