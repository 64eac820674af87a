import { DOMAINS } from '../../common/domain';
import { DEFAULT_RULES, validateRules } from './sync-rules.policy';

describe('validateRules', () => {
  it('accepts the defaults of every domain as they are', () => {
    expect(validateRules(DEFAULT_RULES)).toEqual({ ok: true, rules: DEFAULT_RULES });
    expect(Object.keys(DEFAULT_RULES).sort()).toEqual([...DOMAINS].sort());
  });

  it('keeps the defaults of the domains a tenant leaves out', () => {
    const result = validateRules({ task: { users: ['people'], supervisor_only: ['people'] } });
    expect(result).toEqual({
      ok: true,
      rules: {
        ...DEFAULT_RULES,
        task: { users: ['people'], groups: [], creator: true, owner_groups: null, supervisor_only: ['people'] },
      },
    });
  });

  it('names the domain and key of every mistake', () => {
    const result = validateRules({
      ticket: { groups: [{ field: 'bu', group: 'Site!', role: 'boss' }], extra: 1 },
      invoice: {},
      journal: { users: ['user', 'user'], owner_groups: { field: 'privacy_scope', default: 'private', roles: 3 } },
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((error) => error.field)).toEqual([
      'rules.ticket.extra',
      'rules.ticket.groups[0].group',
      'rules.ticket.groups[0].role',
      'rules.invoice',
      'rules.journal.users[1]',
      'rules.journal.owner_groups.roles',
    ]);
  });

  it('refuses a rule whose fields alone would fill the keys of a record', () => {
    const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const result = validateRules({ work_order: { users, groups: [{ field: 'bu', group: 'site', role: 'member' }] } });
    expect(!result.ok && result.errors).toEqual([
      { field: 'rules.work_order', message: expect.stringMatching(/10 keys; at most 8/) },
    ]);
  });

  it('refuses rules that are not an object of domains', () => {
    expect(validateRules([])).toEqual({ ok: false, errors: [{ field: 'rules', message: expect.any(String) }] });
    expect(validateRules({ task: 'open' }).ok).toBe(false);
  });
});
