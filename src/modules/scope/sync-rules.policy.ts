import { DOMAINS, type Domain } from '../../common/domain';
import type { FieldError } from '../../common/http/validation';

export const ROLES = ['member', 'supervisor'] as const;
export type Role = (typeof ROLES)[number];

/** A record field naming a group: `"bu": 58` with group `site` is the group `site:58`. */
export interface GroupField {
  field: string;
  /** The group's kind, the part before the colon. */
  group: string;
  /** The lowest role of the group that reads the record (supervisors also read what members read). */
  role: Role;
}

/** The groups of the record's owner (first user named by `users`, else the creator) read it, by a field's value. */
export interface OwnerGroups {
  field: string;
  /** The value assumed when the field is missing or not a string. */
  default: string;
  /** Value → lowest role of the owner's groups that reads; values not listed stay with the owner. */
  roles: Record<string, Role>;
}

/** Who receives and who may change the records of one domain. */
export interface DomainRule {
  /** Fields whose values (an id, or an array of ids) name users who read the record. */
  users: string[];
  groups: GroupField[];
  /** The user who wrote the first version keeps reading it. */
  creator: boolean;
  owner_groups: OwnerGroups | null;
  /** Fields only a supervisor of one of the record's groups (or an admin) may change. */
  supervisor_only: string[];
}

export type SyncRules = Record<Domain, DomainRule>;

/** A record yields at most this many keys; the rules are capped so that scalar fields stay below it. */
export const MAX_RECORD_KEYS = 16;
/** A principal holds at most this many keys (its own plus two per supervisor membership, one per member one). */
export const MAX_USER_KEYS = 64;

const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const GROUP_KIND = /^[a-z][a-z0-9_]{0,31}$/;
const SITE: GroupField = { field: 'bu', group: 'site', role: 'supervisor' };

/** The defaults of SCOPES.md, with the field names of DOMAINS.md. */
export const DEFAULT_RULES: SyncRules = {
  journal: {
    users: ['user'],
    groups: [],
    creator: true,
    owner_groups: {
      field: 'privacy_scope',
      default: 'private',
      roles: { manager: 'supervisor', team: 'member', shared: 'member' },
    },
    supervisor_only: [],
  },
  attendance: { users: ['people'], groups: [SITE], creator: true, owner_groups: null, supervisor_only: [] },
  task: {
    users: ['people'],
    groups: [{ field: 'pgroup', group: 'group', role: 'member' }, SITE],
    creator: true,
    owner_groups: null,
    supervisor_only: [],
  },
  ticket: {
    users: ['assignedtopeople', 'cuser'],
    groups: [{ field: 'assignedtogroup', group: 'group', role: 'member' }, SITE],
    creator: true,
    owner_groups: null,
    supervisor_only: [
      'assignedtopeople',
      'assignedtogroup',
      'escalation_level',
      'escalated_at',
      'escalated_by',
      'is_escalated',
    ],
  },
  work_order: {
    users: ['people', 'approvers', 'verifiers'],
    groups: [SITE],
    creator: true,
    owner_groups: null,
    supervisor_only: ['people', 'bu', 'approvers', 'verifiers'],
  },
};

export type RulesValidation = { ok: true; rules: SyncRules } | { ok: false; errors: FieldError[] };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Collector {
  readonly errors: FieldError[] = [];
  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }
}

function onlyKeys(value: Json, allowed: readonly string[], path: string, out: Collector): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) out.add(`${path}.${key}`, 'is not an allowed property');
  }
}

function fieldList(value: unknown, path: string, out: Collector, max: number): string[] {
  if (!Array.isArray(value)) {
    out.add(path, 'must be an array of field names');
    return [];
  }
  if (value.length > max) out.add(path, `must hold at most ${max} fields`);
  const fields: string[] = [];
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !FIELD.test(item)) out.add(`${path}[${i}]`, 'must be a field name (1..64 chars)');
    else if (fields.includes(item)) out.add(`${path}[${i}]`, `names "${item}" twice`);
    else fields.push(item);
  });
  return fields;
}

function role(value: unknown, path: string, out: Collector): Role {
  if (typeof value === 'string' && (ROLES as readonly string[]).includes(value)) return value as Role;
  out.add(path, `must be one of ${ROLES.join(', ')}`);
  return 'supervisor';
}

function groupFields(value: unknown, path: string, out: Collector): GroupField[] {
  if (!Array.isArray(value)) {
    out.add(path, 'must be an array of {field, group, role}');
    return [];
  }
  return value.map((item, i): GroupField => {
    const at = `${path}[${i}]`;
    if (!isObject(item)) {
      out.add(at, 'must be an object {field, group, role}');
      return { field: '', group: '', role: 'supervisor' };
    }
    onlyKeys(item, ['field', 'group', 'role'], at, out);
    if (typeof item.field !== 'string' || !FIELD.test(item.field)) out.add(`${at}.field`, 'must be a field name');
    if (typeof item.group !== 'string' || !GROUP_KIND.test(item.group)) {
      out.add(`${at}.group`, 'must be a group kind such as site or team (a-z, 0-9, _)');
    }
    return { field: String(item.field), group: String(item.group), role: role(item.role, `${at}.role`, out) };
  });
}

function ownerGroups(value: unknown, path: string, out: Collector): OwnerGroups | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) {
    out.add(path, 'must be null or an object {field, default, roles}');
    return null;
  }
  onlyKeys(value, ['field', 'default', 'roles'], path, out);
  if (typeof value.field !== 'string' || !FIELD.test(value.field)) out.add(`${path}.field`, 'must be a field name');
  if (typeof value.default !== 'string' || value.default.length > 64) {
    out.add(`${path}.default`, 'must be a string of at most 64 chars');
  }
  const roles: Record<string, Role> = {};
  if (!isObject(value.roles)) out.add(`${path}.roles`, 'must be an object of value → role');
  else {
    for (const [key, item] of Object.entries(value.roles)) roles[key] = role(item, `${path}.roles.${key}`, out);
  }
  return { field: String(value.field), default: String(value.default), roles };
}

function domainRule(value: unknown, path: string, out: Collector): DomainRule {
  const rule: DomainRule = { users: [], groups: [], creator: true, owner_groups: null, supervisor_only: [] };
  if (!isObject(value)) {
    out.add(path, 'must be an object {users, groups, creator, owner_groups, supervisor_only}');
    return rule;
  }
  onlyKeys(value, ['users', 'groups', 'creator', 'owner_groups', 'supervisor_only'], path, out);
  rule.users = fieldList(value.users ?? [], `${path}.users`, out, 8);
  rule.groups = groupFields(value.groups ?? [], `${path}.groups`, out);
  if (value.creator !== undefined && typeof value.creator !== 'boolean') out.add(`${path}.creator`, 'must be boolean');
  rule.creator = value.creator !== false;
  rule.owner_groups = ownerGroups(value.owner_groups, `${path}.owner_groups`, out);
  rule.supervisor_only = fieldList(value.supervisor_only ?? [], `${path}.supervisor_only`, out, 64);
  const scalarKeys = rule.users.length + rule.groups.length + (rule.creator ? 1 : 0);
  if (scalarKeys > MAX_RECORD_KEYS / 2) {
    out.add(path, `users, groups and creator give ${scalarKeys} keys; at most ${MAX_RECORD_KEYS / 2} leave room`);
  }
  return rule;
}

/**
 * Validates a rules document; domains it leaves out keep their defaults, so the result is always complete.
 * Every error names its domain and key (`rules.ticket.groups[0].role`).
 */
export function validateRules(input: unknown): RulesValidation {
  const out = new Collector();
  if (!isObject(input)) return { ok: false, errors: [{ field: 'rules', message: 'must be an object by domain' }] };
  const rules: SyncRules = { ...DEFAULT_RULES };
  for (const [domain, value] of Object.entries(input)) {
    if (!(DOMAINS as readonly string[]).includes(domain)) {
      out.add(`rules.${domain}`, `is not a domain (${DOMAINS.join(', ')})`);
      continue;
    }
    rules[domain as Domain] = domainRule(value, `rules.${domain}`, out);
  }
  return out.errors.length > 0 ? { ok: false, errors: out.errors } : { ok: true, rules };
}
