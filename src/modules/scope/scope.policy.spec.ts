import fc from 'fast-check';
import {
  authorizeWrite,
  canRead,
  explainAccess,
  keyChanges,
  lostKeys,
  Membership,
  RecordData,
  recordKeys,
  recordOwner,
  userKeys,
  WriteCheck,
} from './scope.policy';
import { DEFAULT_RULES, MAX_RECORD_KEYS, SyncRules, validateRules } from './sync-rules.policy';

const rules = DEFAULT_RULES;

/** Two technicians of site 58 in team north, their supervisor, and a technician of another site. */
const anna = userKeys({ user_id: '4127', active: true }, [
  { group: 'site:58', role: 'member' },
  { group: 'group:7', role: 'member' },
]);
const ben = userKeys({ user_id: '4128', active: true }, [
  { group: 'site:58', role: 'member' },
  { group: 'group:7', role: 'member' },
]);
const sam = userKeys({ user_id: '9001', active: true }, [
  { group: 'site:58', role: 'supervisor' },
  { group: 'group:7', role: 'supervisor' },
]);
const olga = userKeys({ user_id: '5555', active: true }, [{ group: 'site:60', role: 'member' }]);

function workOrder(overrides: RecordData = {}): RecordData {
  return {
    description: 'Chiller 2 PPM',
    workstatus: 'ASSIGNED',
    people: 4127,
    bu: 58,
    approvers: ['3301'],
    ...overrides,
  };
}

function task(overrides: RecordData = {}): RecordData {
  return { jobdesc: 'Fire extinguisher check', jobstatus: 'ASSIGNED', people: 4127, pgroup: 7, bu: 58, ...overrides };
}

function check(
  principalKeys: string[],
  domain: WriteCheck['domain'],
  before: RecordData | null,
  after: RecordData,
  creator: string | null = null,
): WriteCheck {
  return {
    rules,
    domain,
    principal: { keys: principalKeys, admin: false },
    before: before && { data: before, keys: recordKeys(rules, domain, before, { creator }) },
    after: { data: after, keys: recordKeys(rules, domain, after, { creator }) },
  };
}

describe('recordKeys', () => {
  it('gives a work order its assignee, approvers, verifiers, creator and the supervisors of its site', () => {
    expect(recordKeys(rules, 'work_order', workOrder({ verifiers: ['2210'] }), { creator: 'disp-1' })).toEqual([
      'g:site:58:supervisor',
      'u:2210',
      'u:3301',
      'u:4127',
      'u:disp-1',
    ]);
  });

  it('gives a task its assignee, the members of its people group and the supervisors of its site', () => {
    expect(recordKeys(rules, 'task', task(), { creator: null })).toEqual([
      'g:group:7:member',
      'g:site:58:supervisor',
      'u:4127',
    ]);
  });

  it('keeps a record with no owner field with its creator only', () => {
    expect(recordKeys(rules, 'task', { jobdesc: 'Ad-hoc check', jobstatus: 'ASSIGNED' }, { creator: '4127' })).toEqual([
      'u:4127',
    ]);
    expect(recordKeys(rules, 'task', { jobdesc: 'Imported' }, { creator: null })).toEqual([]);
  });

  it('gives a ticket its assignee, assigned group, cuser and site supervisors', () => {
    const ticket = { ticketdesc: 'Leak at level 4', assignedtopeople: 3301, assignedtogroup: 12, cuser: 1, bu: 58 };
    expect(recordKeys(rules, 'ticket', ticket, { creator: null })).toEqual([
      'g:group:12:member',
      'g:site:58:supervisor',
      'u:1',
      'u:3301',
    ]);
  });

  it('keeps a private journal with its author', () => {
    const journal = { title: 'Night shift wrap-up', user: '4127', privacy_scope: 'private' };
    const memberships: Membership[] = [{ group: 'team:north', role: 'member' }];
    expect(recordKeys(rules, 'journal', journal, { creator: '4127', ownerMemberships: memberships })).toEqual([
      'u:4127',
    ]);
    expect(recordKeys(rules, 'journal', { title: 'Mood' }, { creator: '4127', ownerMemberships: memberships })).toEqual(
      ['u:4127'],
    );
  });

  it('shares a team journal with the members and a manager journal with the supervisors of the author', () => {
    const memberships: Membership[] = [{ group: 'team:north', role: 'member' }];
    const team = { title: 'Handover notes', user: '4127', privacy_scope: 'team' };
    const manager = { ...team, privacy_scope: 'manager' };
    expect(recordKeys(rules, 'journal', team, { creator: '4127', ownerMemberships: memberships })).toEqual([
      'g:team:north:member',
      'u:4127',
    ]);
    expect(recordKeys(rules, 'journal', manager, { creator: '4127', ownerMemberships: memberships })).toEqual([
      'g:team:north:supervisor',
      'u:4127',
    ]);
    expect(recordOwner(rules, 'journal', { title: 'x' }, '4127')).toBe('4127');
  });

  it('ignores empty, nested and over-long ids', () => {
    const keys = recordKeys(rules, 'work_order', workOrder({ people: '', approvers: [[1], null, 'x'.repeat(129)] }), {
      creator: null,
    });
    expect(keys).toEqual(['g:site:58:supervisor']);
  });

  it('follows a tenant rule that opts out of the creator', () => {
    const validated = validateRules({ task: { users: ['people'], creator: false } });
    if (!validated.ok) throw new Error('rules should be valid');
    expect(recordKeys(validated.rules, 'task', task({ people: null }), { creator: '4127' })).toEqual([]);
  });
});

describe('userKeys', () => {
  it('gives a supervisor the member key of its group as well', () => {
    expect(sam).toEqual([
      'g:group:7:member',
      'g:group:7:supervisor',
      'g:site:58:member',
      'g:site:58:supervisor',
      'u:9001',
    ]);
  });

  it('gives a user outside the directory its own key and an inactive user none', () => {
    expect(userKeys({ user_id: 'tech-7', active: true }, [])).toEqual(['u:tech-7']);
    expect(userKeys({ user_id: 'tech-7', active: false }, [{ group: 'site:58', role: 'member' }])).toEqual([]);
  });
});

describe('reading', () => {
  it('lets the assignee and the site supervisor read a work order, not the colleague or another site', () => {
    const keys = recordKeys(rules, 'work_order', workOrder(), { creator: 'disp-1' });
    expect([anna, sam, ben, olga].map((principal) => canRead(principal, keys))).toEqual([true, true, false, false]);
  });

  it('lets both technicians of the people group read a task', () => {
    const keys = recordKeys(rules, 'task', task(), { creator: null });
    expect([anna, ben, sam, olga].map((principal) => canRead(principal, keys))).toEqual([true, true, true, false]);
  });
});

describe('reassignment', () => {
  it('moves a work order from one technician to the other when the supervisor reassigns it', () => {
    const before = workOrder();
    const after = workOrder({ people: 4128, workstatus: 'RE_ASSIGNED' });
    expect(authorizeWrite(check(sam, 'work_order', before, after))).toEqual({ allowed: true });
    const changes = keyChanges(
      recordKeys(rules, 'work_order', before, { creator: null }),
      recordKeys(rules, 'work_order', after, { creator: null }),
      'edit',
    );
    expect(changes).toEqual([
      { key: 'g:site:58:supervisor', kind: 'add', reason: 'changed', held: true },
      { key: 'u:3301', kind: 'add', reason: 'changed', held: true },
      { key: 'u:4128', kind: 'add', reason: 'reassigned', held: false },
      { key: 'u:4127', kind: 'remove', reason: 'reassigned', held: true },
    ]);
  });

  it('refuses a technician reassigning its own work order: the assignee is supervisor-only', () => {
    const verdict = authorizeWrite(check(anna, 'work_order', workOrder(), workOrder({ people: 4128 })));
    expect(verdict).toMatchObject({ allowed: false, code: 'FIELD_FORBIDDEN', fields: ['people'] });
  });

  it('lets the technician edit the non-supervisor fields of its work order', () => {
    const verdict = authorizeWrite(check(anna, 'work_order', workOrder(), workOrder({ workstatus: 'INPROGRESS' })));
    expect(verdict).toEqual({ allowed: true });
  });

  it('refuses an edit of a record the caller cannot read, before looking at the fields', () => {
    const verdict = authorizeWrite(check(ben, 'work_order', workOrder(), workOrder({ people: 4128 })));
    expect(verdict).toMatchObject({ allowed: false, code: 'RECORD_FORBIDDEN' });
  });

  it('lets an admin change anything', () => {
    const verdict = authorizeWrite({
      ...check([], 'work_order', workOrder(), workOrder({ bu: 60 })),
      principal: { keys: [], admin: true },
    });
    expect(verdict).toEqual({ allowed: true });
  });
});

describe('shift handover', () => {
  it('lets the night technician hand a task to the day technician of the same people group', () => {
    expect(authorizeWrite(check(anna, 'task', task(), task({ people: 4128 })))).toEqual({ allowed: true });
  });

  it('refuses a technician handing a task out of its own scope', () => {
    const before = task({ pgroup: null });
    const verdict = authorizeWrite(check(anna, 'task', before, task({ pgroup: null, people: 4128 })));
    expect(verdict).toMatchObject({ allowed: false, code: 'RECORD_FORBIDDEN' });
  });

  it('lets the supervisor hand a task over to another site', () => {
    const verdict = authorizeWrite(check(sam, 'task', task(), task({ bu: 60, pgroup: 8, people: 5555 })));
    expect(verdict).toEqual({ allowed: true });
  });

  it('keeps the punch-out of a shift with the person and the site supervisor', () => {
    const shift = { people: 4127, bu: 58, punchintime: '2025-09-27T21:58:41+05:30' };
    const out = { ...shift, punchouttime: '2025-09-28T06:03:12+05:30' };
    expect(authorizeWrite(check(anna, 'attendance', shift, out))).toEqual({ allowed: true });
    expect(authorizeWrite(check(ben, 'attendance', shift, out))).toMatchObject({ code: 'RECORD_FORBIDDEN' });
  });
});

describe('creates', () => {
  it('accepts a create the creator will read and refuses one for a site it cannot see', () => {
    const opts = { creator: '4127' };
    expect(authorizeWrite(check(anna, 'task', null, { jobdesc: 'Ad-hoc' }, opts.creator))).toEqual({ allowed: true });
    const foreign = authorizeWrite({
      ...check(anna, 'task', null, {}),
      after: {
        data: task({ people: 5555, pgroup: 9, bu: 60 }),
        keys: recordKeys(rules, 'task', task({ people: 5555, pgroup: 9, bu: 60 }), { creator: null }),
      },
    });
    expect(foreign).toMatchObject({ allowed: false, code: 'RECORD_FORBIDDEN' });
  });

  it('refuses a record naming more users and groups than a record may hold', () => {
    const approvers = [...Array(MAX_RECORD_KEYS)].map((_, i) => String(1000 + i));
    const verdict = authorizeWrite(check(anna, 'work_order', null, workOrder({ approvers })));
    expect(verdict).toMatchObject({ allowed: false, code: 'SCOPE_KEYS_EXCEEDED' });
  });
});

describe('private vs team journal', () => {
  const memberships: Membership[] = [{ group: 'team:north', role: 'member' }];
  const author = userKeys({ user_id: '4127', active: true }, memberships);
  const teammate = userKeys({ user_id: '4128', active: true }, memberships);
  const lead = userKeys({ user_id: '9001', active: true }, [{ group: 'team:north', role: 'supervisor' }]);
  const keysOf = (privacy: string): string[] =>
    recordKeys(
      rules,
      'journal',
      { title: 'x', user: '4127', privacy_scope: privacy },
      { creator: '4127', ownerMemberships: memberships },
    );

  it.each([
    ['private', [true, false, false]],
    ['aggregate', [true, false, false]],
    ['manager', [true, false, true]],
    ['team', [true, true, true]],
    ['shared', [true, true, true]],
  ])('lets a %s journal reach the author, teammate, lead as %j', (privacy, expected) => {
    expect([author, teammate, lead].map((principal) => canRead(principal, keysOf(privacy)))).toEqual(expected);
  });

  it('removes a journal from the team when the author makes it private again', () => {
    expect(keyChanges(keysOf('team'), keysOf('private'), 'edit')).toContainEqual({
      key: 'g:team:north:member',
      kind: 'remove',
      reason: 'reassigned',
      held: true,
    });
  });
});

describe('supervisor leaves a team', () => {
  it('loses the team key and the supervisor key of the team, and keeps its site', () => {
    const before = userKeys({ user_id: '9001', active: true }, [
      { group: 'team:north', role: 'supervisor' },
      { group: 'site:58', role: 'supervisor' },
    ]);
    const after = userKeys({ user_id: '9001', active: true }, [{ group: 'site:58', role: 'supervisor' }]);
    expect(lostKeys(before, after)).toEqual(['g:team:north:member', 'g:team:north:supervisor']);
    const managerJournal = recordKeys(
      rules,
      'journal',
      { title: 'Stress log', user: '4127', privacy_scope: 'manager' },
      { creator: '4127', ownerMemberships: [{ group: 'team:north', role: 'member' }] },
    );
    expect(canRead(before, managerJournal)).toBe(true);
    expect(canRead(after, managerJournal)).toBe(false);
  });

  it('loses every key when deactivated', () => {
    expect(lostKeys(sam, userKeys({ user_id: '9001', active: false }, []))).toEqual(sam);
  });
});

describe('rule changes', () => {
  it('logs only the keys a new rule version adds or removes', () => {
    const strict: SyncRules = { ...rules, task: { ...rules.task, groups: [rules.task.groups[1]] } };
    const before = recordKeys(rules, 'task', task(), { creator: null });
    const after = recordKeys(strict, 'task', task(), { creator: null });
    expect(keyChanges(before, after, 'rules')).toEqual([
      { key: 'g:group:7:member', kind: 'remove', reason: 'rules_changed', held: true },
    ]);
  });
});

describe('explainAccess', () => {
  it('says through which key a supervisor reads and that it may hand the record over', () => {
    const keys = recordKeys(rules, 'work_order', workOrder(), { creator: null });
    const explained = explainAccess(rules, 'work_order', { user_id: '9001', active: true }, sam, keys);
    expect(explained).toMatchObject({ can_read: true, can_write: true });
    expect(explained.reasons.join(' ')).toMatch(/g:site:58:supervisor.*hand it over/);
  });

  it('says an inactive user holds nothing', () => {
    const explained = explainAccess(rules, 'task', { user_id: '4127', active: false }, [], ['u:4127']);
    expect(explained).toMatchObject({ can_read: false, can_write: false });
    expect(explained.reasons[0]).toMatch(/inactive/);
  });
});

describe('scope properties', () => {
  const key = fc.oneof(
    fc.integer({ min: 1, max: 30 }).map((n) => `u:${n}`),
    fc.integer({ min: 1, max: 5 }).map((n) => `g:site:${n}:member`),
  );
  const keySet = fc.uniqueArray(key, { maxLength: 12 });

  it('applying the changes of an edit to the old keys gives exactly the new keys', () => {
    fc.assert(
      fc.property(keySet, keySet, fc.constantFrom<'edit' | 'rules'>('edit', 'rules'), (before, after, cause) => {
        const result = new Set(before);
        for (const change of keyChanges(before, after, cause)) {
          if (change.kind === 'add') result.add(change.key);
          else result.delete(change.key);
          expect(change.held).toBe(before.includes(change.key));
        }
        expect([...result].sort()).toEqual([...new Set(after)].sort());
      }),
    );
  });

  it('a reader that loses a record through an edit finds a removal under a key it holds', () => {
    fc.assert(
      fc.property(keySet, keySet, keySet, (principal, before, after) => {
        const removedForReader = keyChanges(before, after, 'edit').some(
          (change) => change.kind === 'remove' && principal.includes(change.key),
        );
        if (canRead(principal, before) && !canRead(principal, after)) expect(removedForReader).toBe(true);
      }),
    );
  });

  it('record keys do not depend on the order of the data fields and never repeat', () => {
    const record = fc.record({
      people: fc.oneof(fc.integer({ min: 1, max: 99 }), fc.constant(null)),
      approvers: fc.array(fc.integer({ min: 1, max: 99 }).map(String), { maxLength: 4 }),
      bu: fc.integer({ min: 1, max: 9 }),
    });
    fc.assert(
      fc.property(record, fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: null }), (data, creator) => {
        const reversed = Object.fromEntries(Object.entries(data).reverse());
        const keys = recordKeys(rules, 'work_order', data, { creator });
        expect(recordKeys(rules, 'work_order', reversed, { creator })).toEqual(keys);
        expect(new Set(keys).size).toBe(keys.length);
      }),
    );
  });
});
