import { Domain, DOMAINS } from '../../common/domain';
import { parseInstant } from '../../common/time/instant';

export const RESOLUTION_POLICIES = [
  'client_wins',
  'server_wins',
  'most_recent_wins',
  'preserve_escalation',
  'manual',
] as const;
export type ResolutionPolicy = (typeof RESOLUTION_POLICIES)[number];

export const DEFAULT_POLICIES: Record<Domain, ResolutionPolicy> = {
  journal: 'client_wins',
  attendance: 'server_wins',
  task: 'most_recent_wins',
  ticket: 'preserve_escalation',
  work_order: 'most_recent_wins',
};

/** Server-owned ticket fields: the server escalates while the phone is offline. */
export const ESCALATION_FIELDS = ['escalation_level', 'escalated_at', 'escalated_by', 'status'];

export interface PolicySettings {
  resolution_policy: ResolutionPolicy;
  auto_resolve: boolean;
  notify_on_conflict: boolean;
  /** Fields always kept from the server where it has them; null: ESCALATION_FIELDS for preserve_escalation. */
  protected_fields: string[] | null;
}

export interface EffectivePolicy extends PolicySettings {
  domain: string;
  source: 'default' | 'tenant';
}

export function isKnownDomain(domain: string): domain is Domain {
  return (DOMAINS as readonly string[]).includes(domain);
}

export function defaultPolicy(domain: string): EffectivePolicy {
  const policy = isKnownDomain(domain) ? DEFAULT_POLICIES[domain] : 'manual';
  return {
    domain,
    source: 'default',
    resolution_policy: policy,
    auto_resolve: policy !== 'manual',
    notify_on_conflict: false,
    protected_fields: null,
  };
}

export type Entry = Record<string, unknown>;

export interface ConflictInput {
  server: Entry;
  client: Entry;
  base?: Entry | null;
  /** When undefined, the entry's own `updated_at` field is read. */
  serverUpdatedAt?: string | Date | null;
  clientUpdatedAt?: string | Date | null;
}

export interface MergeDetails {
  from_client: string[];
  from_server: string[];
  conflicting_fields: string[];
  protected_fields_kept?: string[];
  three_way: boolean;
  /** A review a domain invariant asked for (strategy `invariant`): INVALID_TRANSITION or ATTENDANCE_OVERLAP. */
  reason?: string;
  /** The tenant's switch of the rule, the field, what the rule saw and why it refused. */
  invariant?: string;
  field?: string;
  rule?: Record<string, unknown>;
  message?: string;
}

export interface ConflictResolution {
  resolution: 'resolved' | 'manual_required';
  winning_entry: Entry | null;
  strategy_used: string;
  merge_details: MergeDetails;
  winning_version: 'client' | 'server' | 'merged' | 'none';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
  const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  return leftKeys.length === rightKeys.length && leftKeys.every((key) => deepEqual(left[key], right[key]));
}

function has(entry: Entry, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(entry, key) && entry[key] !== undefined;
}

function sameField(a: Entry, b: Entry, key: string): boolean {
  return has(a, key) === has(b, key) && (!has(a, key) || deepEqual(a[key], b[key]));
}

function unionKeys(...entries: Entry[]): string[] {
  const keys = new Set<string>();
  for (const entry of entries) for (const key of Object.keys(entry)) if (entry[key] !== undefined) keys.add(key);
  return [...keys];
}

function protectedFieldsOf(policy: PolicySettings): string[] {
  if (policy.protected_fields) return policy.protected_fields;
  return policy.resolution_policy === 'preserve_escalation' ? ESCALATION_FIELDS : [];
}

/** Which side most_recent_wins picks: the client only when both instants exist and the client's is later. */
function mostRecentSide(input: ConflictInput): 'client' | 'server' {
  const server = parseInstant(input.serverUpdatedAt === undefined ? input.server.updated_at : input.serverUpdatedAt);
  const client = parseInstant(input.clientUpdatedAt === undefined ? input.client.updated_at : input.clientUpdatedAt);
  return client !== null && server !== null && client > server ? 'client' : 'server';
}

/** The side that wins a field both sides changed, before protected fields are applied. */
function policySide(policy: ResolutionPolicy, input: ConflictInput): 'client' | 'server' {
  switch (policy) {
    case 'client_wins':
    case 'preserve_escalation':
      return 'client';
    case 'server_wins':
    case 'manual':
      return 'server';
    case 'most_recent_wins':
      return mostRecentSide(input);
  }
}

function strategyName(policy: ResolutionPolicy, side: 'client' | 'server'): string {
  return policy === 'most_recent_wins' ? `most_recent_wins (${side})` : policy;
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

/**
 * Resolves one conflicting edit. Without a base the policy decides the whole entry; with a base the merge is
 * three-way and field-level: a field changed on one side only keeps that change (removals included) and the policy
 * decides only the fields both sides changed to different values. Pure: time never comes from the clock.
 */
export function resolveConflict(policy: PolicySettings, input: ConflictInput): ConflictResolution {
  const { server, client } = input;
  const base = input.base ?? null;
  const threeWay = base !== null;
  const keys = threeWay ? unionKeys(server, client, base) : unionKeys(server, client);

  const conflicting = threeWay
    ? keys.filter(
        (key) => !sameField(server, base, key) && !sameField(client, base, key) && !sameField(server, client, key),
      )
    : keys.filter((key) => !sameField(server, client, key));

  if (policy.resolution_policy === 'manual' || !policy.auto_resolve) {
    return {
      resolution: 'manual_required',
      winning_entry: null,
      strategy_used: 'manual',
      merge_details: { from_client: [], from_server: [], conflicting_fields: sorted(conflicting), three_way: threeWay },
      winning_version: 'none',
    };
  }

  const side = policySide(policy.resolution_policy, input);
  const protectedFields = new Set(protectedFieldsOf(policy));
  const conflictingSet = new Set(conflicting);
  const fromClient = new Set<string>();
  const fromServer = new Set<string>();
  const kept = new Set<string>();
  const result: Entry = {};

  const take = (key: string, source: 'client' | 'server'): void => {
    const entry = source === 'client' ? client : server;
    // defineProperty keeps a "__proto__" key from JSON as data instead of changing the result's prototype.
    if (has(entry, key)) Object.defineProperty(result, key, { value: entry[key], enumerable: true, writable: true });
  };

  for (const key of keys) {
    const decidedByPolicy = conflictingSet.has(key) || (!threeWay && sameField(server, client, key));
    if (!decidedByPolicy) {
      // Three-way only: at most one side changed the field (or both made the same change).
      if (!sameField(client, base ?? {}, key)) {
        take(key, 'client');
        if (!sameField(server, client, key)) fromClient.add(key);
      } else {
        take(key, 'server');
        if (!sameField(server, base ?? {}, key)) fromServer.add(key);
      }
      continue;
    }
    let chosen = side;
    if (chosen === 'client' && protectedFields.has(key) && has(server, key)) {
      chosen = 'server';
      if (conflictingSet.has(key)) kept.add(key);
    }
    take(key, chosen);
    if (conflictingSet.has(key)) (chosen === 'client' ? fromClient : fromServer).add(key);
  }

  const details: MergeDetails = {
    from_client: sorted(fromClient),
    from_server: sorted(fromServer),
    conflicting_fields: sorted(conflicting),
    three_way: threeWay,
  };
  if (protectedFields.size > 0) details.protected_fields_kept = sorted(kept);

  let winning: ConflictResolution['winning_version'];
  if (threeWay || kept.size > 0) {
    if (fromClient.size > 0 && fromServer.size > 0) winning = 'merged';
    else if (fromClient.size > 0) winning = 'client';
    else if (fromServer.size > 0) winning = 'server';
    else winning = side;
  } else {
    winning = side;
  }
  return {
    resolution: 'resolved',
    winning_entry: result,
    strategy_used: strategyName(policy.resolution_policy, side),
    merge_details: details,
    winning_version: winning,
  };
}
