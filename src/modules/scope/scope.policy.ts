import { isDeepStrictEqual } from 'node:util';
import type { Domain } from '../../common/domain';
import { MAX_RECORD_KEYS, type Role, type SyncRules } from './sync-rules.policy';

export interface Membership {
  group: string;
  role: Role;
}

/** What a key computation needs to know about a user: who, and whether the directory still lets them in. */
export interface ScopeUser {
  user_id: string;
  active: boolean;
}

export type RecordData = Record<string, unknown>;

/** What recordKeys needs beyond the record: its creator and, for owner-group rules, the owner's memberships. */
export interface KeyContext {
  creator: string | null;
  ownerMemberships?: readonly Membership[];
}

export type ChangeReason = 'changed' | 'reassigned' | 'access_revoked' | 'rules_changed';

/** One row of a key's log: the record holds (`add`) or left (`remove`) the key. */
export interface KeyChange {
  key: string;
  kind: 'add' | 'remove';
  reason: ChangeReason;
  /** The record held the key before this change (its record_scope row exists). */
  held: boolean;
}

export type WriteVerdict =
  | { allowed: true }
  | { allowed: false; code: 'RECORD_FORBIDDEN'; message: string }
  | { allowed: false; code: 'FIELD_FORBIDDEN'; message: string; fields: string[] }
  | { allowed: false; code: 'SCOPE_KEYS_EXCEEDED'; message: string };

export interface WriteCheck {
  rules: SyncRules;
  domain: Domain;
  principal: { keys: readonly string[]; admin: boolean };
  /** The current server version and the keys it holds; null for a create. */
  before: { data: RecordData; keys: readonly string[] } | null;
  /** The version the item would write and the keys it would hold. */
  after: { data: RecordData; keys: readonly string[] };
}

const MAX_ID_LENGTH = 128;

/** `site:58`, `team:north`, `group:7`: a kind (a-z, 0-9, _), a colon, an id. */
export const GROUP_PATTERN = /^[a-z][a-z0-9_]{0,31}:[A-Za-z0-9._@-]{1,100}$/;

export function userKey(userId: string): string {
  return `u:${userId}`;
}

export function groupKey(group: string, role: Role): string {
  return `g:${group}:${role}`;
}

/** `g:site:58:supervisor` → `site:58`; undefined for a user key. */
function groupOfKey(key: string): string | undefined {
  return key.startsWith('g:') ? key.slice(2, key.lastIndexOf(':')) : undefined;
}

function sorted(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort();
}

/** User ids and group ids in record fields compare as strings: `"people": 4127` names user `4127`. */
export function idsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((item: unknown) => (Array.isArray(item) ? [] : idsOf(item)));
  if (typeof value === 'number' && Number.isFinite(value)) return [String(value)];
  if (typeof value === 'string') {
    const id = value.trim();
    return id !== '' && id.length <= MAX_ID_LENGTH ? [id] : [];
  }
  return [];
}

/** The user whose groups owner-group rules follow: the first user a `users` field names, else the creator. */
export function recordOwner(rules: SyncRules, domain: Domain, data: RecordData, creator: string | null): string | null {
  for (const field of rules[domain].users) {
    const [first] = idsOf(data[field]);
    if (first !== undefined) return first;
  }
  return creator;
}

/** The role of the owner's groups that reads this record under an owner-group rule, or null (owner only). */
export function ownerGroupRole(rules: SyncRules, domain: Domain, data: RecordData): Role | null {
  const rule = rules[domain].owner_groups;
  if (!rule) return null;
  const raw = data[rule.field];
  const value = typeof raw === 'string' && raw !== '' ? raw : rule.default;
  return Object.prototype.hasOwnProperty.call(rule.roles, value) ? rule.roles[value] : null;
}

/** The scope keys a record version holds under the rules, sorted and without duplicates. */
export function recordKeys(rules: SyncRules, domain: Domain, data: RecordData, context: KeyContext): string[] {
  const rule = rules[domain];
  const keys: string[] = [];
  for (const field of rule.users) for (const id of idsOf(data[field])) keys.push(userKey(id));
  for (const { field, group, role } of rule.groups) {
    for (const id of idsOf(data[field])) keys.push(groupKey(`${group}:${id}`, role));
  }
  if (rule.creator && context.creator !== null) keys.push(userKey(context.creator));
  const role = ownerGroupRole(rules, domain, data);
  if (role !== null)
    for (const membership of context.ownerMemberships ?? []) keys.push(groupKey(membership.group, role));
  return sorted(keys);
}

/**
 * The keys a principal holds: its own, one per membership, and a supervisor's also the member key of its group (a
 * supervisor reads what members read). An inactive user holds none; a user outside the directory only its own.
 */
export function userKeys(user: ScopeUser, memberships: readonly Membership[]): string[] {
  if (!user.active) return [];
  const keys = [userKey(user.user_id)];
  for (const { group, role } of memberships) {
    keys.push(groupKey(group, 'member'));
    if (role === 'supervisor') keys.push(groupKey(group, 'supervisor'));
  }
  return sorted(keys);
}

/** The keys of a user given its directory row; a user outside the directory is active with no memberships. */
export function directoryKeys(
  userId: string,
  row: { active: boolean; memberships: readonly Membership[] } | undefined,
): string[] {
  return userKeys({ user_id: userId, active: row?.active ?? true }, row?.memberships ?? []);
}

export function canRead(principalKeys: readonly string[], keys: readonly string[]): boolean {
  const held = new Set(principalKeys);
  return keys.some((key) => held.has(key));
}

/** Whether the principal supervises one of the groups behind these record keys. */
export function supervises(principalKeys: readonly string[], keys: readonly string[]): boolean {
  const held = new Set(principalKeys);
  return keys.some((key) => {
    const group = groupOfKey(key);
    return group !== undefined && held.has(groupKey(group, 'supervisor'));
  });
}

/** Supervisor-only fields whose value differs between the two versions (a missing field equals null). */
export function changedSupervisorFields(
  rules: SyncRules,
  domain: Domain,
  before: RecordData,
  after: RecordData,
): string[] {
  return rules[domain].supervisor_only.filter(
    (field) => !isDeepStrictEqual(before[field] ?? null, after[field] ?? null),
  );
}

/**
 * Write authorization of one push item, checked before anything is written: the current version must be readable
 * (pre-image), supervisor-only fields change only by a supervisor of one of the record's groups, and the edited
 * version must stay readable unless a supervisor hands the record over. A create needs only the post-image.
 */
export function authorizeWrite(check: WriteCheck): WriteVerdict {
  const { rules, domain, principal, before, after } = check;
  if (after.keys.length > MAX_RECORD_KEYS) {
    return {
      allowed: false,
      code: 'SCOPE_KEYS_EXCEEDED',
      message: `the record names ${after.keys.length} users and groups; at most ${MAX_RECORD_KEYS}`,
    };
  }
  if (principal.admin) return { allowed: true };
  if (before !== null && !canRead(principal.keys, before.keys)) {
    return { allowed: false, code: 'RECORD_FORBIDDEN', message: 'the record is not in your sync scope' };
  }
  const supervisor = before !== null && supervises(principal.keys, before.keys);
  if (before !== null && !supervisor) {
    const fields = changedSupervisorFields(rules, domain, before.data, after.data);
    if (fields.length > 0) {
      return {
        allowed: false,
        code: 'FIELD_FORBIDDEN',
        message: `only a supervisor of the record's groups may change ${fields.join(', ')}`,
        fields,
      };
    }
  }
  if (!canRead(principal.keys, after.keys) && !supervisor) {
    return {
      allowed: false,
      code: 'RECORD_FORBIDDEN',
      message: 'the edited record would leave your sync scope; a supervisor of its groups may hand it over',
    };
  }
  return { allowed: true };
}

/**
 * The log rows a key change causes. An edit logs `add` under every key the new version holds (reason `changed`
 * where the key was held, `reassigned` where it is new) and `remove` under each key it lost; a rule change logs
 * only what it adds or removes.
 */
export function keyChanges(
  before: readonly string[] | null,
  after: readonly string[],
  cause: 'edit' | 'rules',
): KeyChange[] {
  const old = new Set(before ?? []);
  const now = new Set(after);
  const changes: KeyChange[] = [];
  for (const key of sorted(now)) {
    const held = old.has(key);
    if (cause === 'rules' && held) continue;
    const reason: ChangeReason =
      cause === 'rules' ? 'rules_changed' : held || before === null ? 'changed' : 'reassigned';
    changes.push({ key, kind: 'add', reason, held });
  }
  for (const key of sorted(old)) {
    if (!now.has(key)) {
      changes.push({ key, kind: 'remove', reason: cause === 'rules' ? 'rules_changed' : 'reassigned', held: true });
    }
  }
  return changes;
}

/** The keys a user loses with a directory change (memberships replaced, or deactivated). */
export function lostKeys(before: readonly string[], after: readonly string[]): string[] {
  const kept = new Set(after);
  return sorted(before.filter((key) => !kept.has(key)));
}

export interface AccessExplanation {
  can_read: boolean;
  can_write: boolean;
  reasons: string[];
}

/** Read and write verdicts of one user on one record, with the reasons in words (for the explain endpoint). */
export function explainAccess(
  rules: SyncRules,
  domain: Domain,
  user: ScopeUser,
  principalKeys: readonly string[],
  keys: readonly string[],
): AccessExplanation {
  const reasons: string[] = [];
  if (!user.active) reasons.push(`user ${user.user_id} is inactive in the directory: it holds no scope key`);
  const shared = keys.filter((key) => principalKeys.includes(key));
  const can_read = shared.length > 0;
  if (keys.length === 0) reasons.push('the record holds no scope key: only admins read it');
  if (can_read) reasons.push(`reads through ${shared.join(', ')}`);
  else if (user.active) reasons.push(`holds none of the record's keys (${keys.join(', ') || 'none'})`);
  const supervisorOnly = rules[domain].supervisor_only;
  if (can_read && supervisorOnly.length > 0) {
    reasons.push(
      supervises(principalKeys, keys)
        ? `supervises one of the record's groups: may change ${supervisorOnly.join(', ')} and hand it over`
        : `may not change the supervisor-only fields ${supervisorOnly.join(', ')}`,
    );
  }
  return { can_read, can_write: can_read, reasons };
}
