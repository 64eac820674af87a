import { recordKeys, userKeys } from '../scope/scope.policy';
import { DEFAULT_RULES } from '../scope/sync-rules.policy';
import { planBatch, PlannedItem } from './queue.policy';
import { defaultPolicy } from '../conflict/conflict.policy';
import { ItemPrincipal, scopeGuard } from './write-guard.policy';
import type { RecordRow } from '../sync/sync-record-store.service';

const NOW = new Date('2026-12-01T10:00:00Z');
const WO = '0b7f2a36-3c35-4c5e-9a55-0f1f6c1b2d01';

const anna = userKeys({ user_id: 'anna', active: true }, [{ group: 'site:58', role: 'member' }]);
const ben = userKeys({ user_id: 'ben', active: true }, [{ group: 'site:58', role: 'member' }]);
const sue = userKeys({ user_id: 'sue', active: true }, [{ group: 'site:58', role: 'supervisor' }]);
const PRINCIPALS: Record<string, ItemPrincipal> = {
  anna: { keys: anna, admin: false },
  ben: { keys: ben, admin: false },
  sue: { keys: sue, admin: false },
};

let nextId = 1;
function item(userId: string, baseVersion: number, payload: Record<string, unknown>, deleted = false): PlannedItem {
  const id = String(nextId++);
  return {
    id,
    device_id: 'phone',
    user_id: userId,
    client_mutation_id: `m-${id}`,
    domain: 'work_order',
    mobile_id: WO,
    base_version: baseVersion,
    payload,
    deleted,
    client_updated_at: null,
    clock_offset_ms: null,
    priority: 1,
  };
}

function row(version: number, data: Record<string, unknown>): RecordRow {
  return {
    domain: 'work_order',
    mobile_id: WO,
    version,
    data,
    deleted: false,
    change_seq: '10',
    client_updated_at: null,
    updated_at: NOW,
  };
}

/** A work order Sue created for Anna at site 58, as record_scope holds it. */
function plan(items: PlannedItem[], current: Record<string, unknown> | null) {
  const stored = current
    ? {
        keys: recordKeys(DEFAULT_RULES, 'work_order', current, { creator: 'sue' }),
        createdBy: 'sue' as string | null,
      }
    : undefined;
  const guard = scopeGuard({
    rules: DEFAULT_RULES,
    principalOf: (i) => PRINCIPALS[i.user_id!] ?? { keys: [], admin: true },
    stored: () => stored,
    keysOf: (domain, data, creator) => recordKeys(DEFAULT_RULES, domain, data, { creator }),
  });
  return planBatch({ now: NOW, guard }, items, current ? [row(1, current)] : [], [], new Map(), defaultPolicy);
}

const assigned = { people: 'anna', bu: 58, workstatus: 'ASSIGNED', notes: '' };

describe(scopeGuard.name, () => {
  it('lets the assignee edit its work order', () => {
    const edit = item('anna', 1, { ...assigned, notes: 'on site' });
    expect(plan([edit], assigned).results.get(edit.id)).toMatchObject({ status: 'applied', server_version: 2 });
  });

  it('refuses a colleague of the same site an edit of a work order not assigned to it, without a copy', () => {
    const edit = item('ben', 1, { ...assigned, notes: 'mine now' });
    const result = plan([edit], assigned);
    expect(result.writes).toEqual([]);
    expect(result.results.get(edit.id)).toMatchObject({
      status: 'rejected',
      record: null,
      server_version: null,
      error: { code: 'RECORD_FORBIDDEN' },
    });
  });

  it('refuses the assignee a change of its assignee (supervisor-only), naming the field, with its copy', () => {
    const edit = item('anna', 1, { ...assigned, people: 'ben' });
    expect(plan([edit], assigned).results.get(edit.id)).toMatchObject({
      status: 'rejected',
      server_version: 1,
      record: { version: 1, data: assigned },
      error: {
        code: 'FIELD_FORBIDDEN',
        details: [{ pointer: '/data/people', message: expect.any(String), field: 'people' }],
      },
    });
  });

  it('lets the supervisor hand a work order over, and the old assignee loses it within the batch', () => {
    const handover = item('sue', 1, { ...assigned, people: 'ben' });
    const late = item('anna', 2, { ...assigned, people: 'ben', notes: 'late edit' });
    const result = plan([handover, late], assigned);
    expect(result.results.get(handover.id)).toMatchObject({ status: 'applied', server_version: 2 });
    expect(result.results.get(late.id)).toMatchObject({ status: 'rejected', error: { code: 'RECORD_FORBIDDEN' } });
    expect(result.writes.map((w) => w.version)).toEqual([2]);
  });

  it('refuses a technician an edit that would take a task out of its scope (only a supervisor hands over)', () => {
    const task = { people: 'anna', pgroup: 7, bu: 58 };
    const edit = { ...item('anna', 1, { ...task, people: 'ben' }), domain: 'task' };
    const current = { ...row(1, task), domain: 'task' };
    const guard = scopeGuard({
      rules: DEFAULT_RULES,
      principalOf: (i) => PRINCIPALS[i.user_id!],
      stored: () => ({ keys: recordKeys(DEFAULT_RULES, 'task', task, { creator: 'sue' }), createdBy: 'sue' }),
      keysOf: (domain, data, creator) => recordKeys(DEFAULT_RULES, domain, data, { creator }),
    });
    const result = planBatch({ now: NOW, guard }, [edit], [current], [], new Map(), defaultPolicy);
    expect(result.results.get(edit.id)).toMatchObject({
      status: 'rejected',
      record: { version: 1 },
      error: { code: 'RECORD_FORBIDDEN', message: expect.stringContaining('leave your sync scope') },
    });
  });

  it('lets a technician create a work order for a colleague: its creator keeps reading it', () => {
    const create = item('anna', 0, { people: 'ben', bu: 60 });
    expect(plan([create], null).results.get(create.id)).toMatchObject({ status: 'applied' });
  });

  it('lets a technician create a work order it names itself in, and its creator keeps it', () => {
    const create = item('anna', 0, { people: 'anna', bu: 58 });
    expect(plan([create], null).results.get(create.id)).toMatchObject({ status: 'applied', server_version: 1 });
  });

  it('lets the assignee delete its work order (a deletion changes no field)', () => {
    const remove = item('anna', 1, {}, true);
    expect(plan([remove], assigned).results.get(remove.id)).toMatchObject({ status: 'applied' });
  });

  it('checks a stale edit against the current copy: no copy leaks through VERSION_AHEAD or a conflict', () => {
    const ahead = item('ben', 5, { ...assigned });
    const stale = item('ben', 0, { ...assigned, notes: 'x' });
    const result = plan([ahead, stale], assigned);
    for (const refused of [ahead, stale]) {
      expect(result.results.get(refused.id)).toMatchObject({ status: 'rejected', record: null });
    }
    expect(result.conflicts).toEqual([]);
  });

  it('does not restrict an admin (or an item queued without a user)', () => {
    const edit = item('admin', 1, { people: 'zoe', bu: 1 });
    expect(plan([edit], assigned).results.get(edit.id)).toMatchObject({ status: 'applied' });
  });
});
