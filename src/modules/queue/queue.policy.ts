import { createHash, randomUUID } from 'node:crypto';
import { Principal, requireSyncUser } from '../../common/auth/principal';
import type { ConflictLogInsert } from '../conflict/conflict-log.service';
import { EffectivePolicy, Entry, resolveConflict } from '../conflict/conflict.policy';
import { recordKey, RecordRow, RecordWrite, RevisionRow } from '../sync/sync-record-store.service';

/** A claimed queue item, as the planner needs it. */
export interface PlannedItem {
  id: string;
  device_id: string;
  user_id: string | null;
  client_mutation_id: string;
  domain: string;
  mobile_id: string;
  base_version: number;
  payload: Entry;
  deleted: boolean;
  client_updated_at: Date | null;
  clock_offset_ms: number | null;
  priority: number;
  /** The schema version the device wrote the payload in (null or missing: the current one). */
  schema_version?: number | null;
}

export const ITEM_STATUSES = ['applied', 'resolved', 'manual_required', 'rejected', 'queued'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export interface RecordCopy {
  domain: string;
  mobile_id: string;
  version: number;
  deleted: boolean;
  data: Entry | null;
}

/** What a device gets back for one mutation; stored on the queue item and replayed on retry. */
export interface ItemResult {
  client_mutation_id: string;
  mobile_id: string;
  domain: string;
  status: ItemStatus;
  server_version: number | null;
  winning_version: 'client' | 'server' | 'merged' | 'none' | null;
  conflict_id: string | null;
  record: RecordCopy | null;
  error: ItemError | null;
}

/**
 * Where an item went wrong, one entry per place: a JSON pointer (RFC 6901) into the push item (`/data/jobstatus`,
 * `/schema_version`), what is wrong there, and for a record field its name (FIELD_FORBIDDEN, SCHEMA_INVALID).
 */
export interface ItemErrorDetail {
  pointer: string;
  message: string;
  field?: string;
}

export interface ItemError {
  code: string;
  message: string;
  /** FIELD_FORBIDDEN: the supervisor-only fields the item changed; SCHEMA_INVALID: where the data fails the schema. */
  details?: ItemErrorDetail[];
}

/** A record as a write check sees it: the current server copy (pre-image) or the version an item would write. */
export interface GuardedVersion {
  version: number;
  data: Entry;
  deleted: boolean;
}

export type GuardVerdict =
  | { allowed: true }
  | {
      allowed: false;
      error: ItemError;
      /** The caller may read the current copy (it is sent back). */ readable: boolean;
    };

/**
 * Write authorization of one item: `after` null asks only whether the current copy may be acted on (pre-image),
 * otherwise whether the item may write `after` over `before` (null for a create). Allowed writes are remembered by
 * the guard, so a later item of the same record is checked against them.
 */
export type WriteGuard = (
  item: PlannedItem,
  before: GuardedVersion | null,
  after: GuardedVersion | null,
) => GuardVerdict;

/** A domain rule (DOMAINS.md) a write would break: the conflict log's merge_details of the review it goes to. */
export interface InvariantBreach {
  reason: 'INVALID_TRANSITION' | 'ATTENDANCE_OVERLAP';
  /** The tenant's switch that governs the rule (ticket_status, attendance_overlap, ...). */
  invariant: string;
  /** The record field the rule is about. */
  field: string;
  /** What the rule saw: from/to status and rule name, or the overlapping records. */
  rule: Record<string, unknown>;
  message: string;
}

/**
 * The tenant's switched-on invariants of one write (`before` null: a create); null when the write may go ahead,
 * which the check takes as written (the next item of the record, or the next punch of the person, sees it).
 */
export type InvariantCheck = (
  item: PlannedItem,
  before: Entry | null,
  after: { data: Entry; deleted: boolean },
) => InvariantBreach | null;

export interface BatchPlan {
  writes: RecordWrite[];
  conflicts: ConflictLogInsert[];
  results: Map<string, ItemResult>;
  /** Queue item status per item id. */
  statuses: Map<string, 'processed' | 'manual_required' | 'rejected'>;
}

interface RecordState {
  version: number;
  data: Entry;
  deleted: boolean;
  clientUpdatedAt: Date | null;
  updatedAt: Date;
}

/** The device's edit time on the server's clock: its clock offset (device − server) taken off. */
export function correctedClientTime(item: Pick<PlannedItem, 'client_updated_at' | 'clock_offset_ms'>): Date | null {
  if (!item.client_updated_at) return null;
  return new Date(item.client_updated_at.getTime() - (item.clock_offset_ms ?? 0));
}

/** Canonical JSON (sorted keys) so the same mutation always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Hash of a mutation as sent, independent of key order and timestamp form. Pass the data's canonical JSON when it
 * is already at hand (the push path measures the record's size on it) so it is not serialised twice.
 */
export function mutationHash(
  mutation: {
    domain: string;
    mobile_id: string;
    base_version: number;
    data: unknown;
    deleted: boolean;
    client_updated_at: string | null;
    priority: string;
    /** Hashed only when sent, so a mutation without one hashes as it always did. */
    schema_version?: number | null;
  },
  canonicalData: string = canonicalJson(mutation.data),
): string {
  const { data: _data, schema_version: schemaVersion, ...withoutVersion } = mutation;
  const rest = schemaVersion == null ? withoutVersion : { ...withoutVersion, schema_version: schemaVersion };
  const envelope = canonicalJson({
    ...rest,
    mobile_id: rest.mobile_id.toLowerCase(),
    client_updated_at: rest.client_updated_at === null ? null : new Date(rest.client_updated_at).toISOString(),
  });
  return createHash('sha256').update(envelope).update('\n').update(canonicalData).digest('hex');
}

function copyOf(domain: string, mobileId: string, state: RecordState | undefined): RecordCopy | null {
  if (!state) return null;
  return {
    domain,
    mobile_id: mobileId,
    version: state.version,
    deleted: state.deleted,
    data: state.deleted ? null : state.data,
  };
}

/**
 * Decides every claimed item of a batch, in queue order (so one device's edits of a record apply in the order it made
 * them): apply, reject, or resolve a conflict through the tenant's policy with a three-way merge against the base
 * revision. Pure: all state comes in, the writes, conflict log rows and results go out.
 */
export function planBatch(
  tenantContext: { now: Date; guard?: WriteGuard; invariant?: InvariantCheck },
  items: PlannedItem[],
  records: RecordRow[],
  revisions: RevisionRow[],
  policies: Map<string, EffectivePolicy>,
  policyFor: (domain: string) => EffectivePolicy,
  newId: () => string = randomUUID,
): BatchPlan {
  const state = new Map<string, RecordState>();
  for (const row of records) {
    state.set(recordKey(row.domain, row.mobile_id), {
      version: row.version,
      data: row.data,
      deleted: row.deleted,
      clientUpdatedAt: row.client_updated_at,
      updatedAt: row.updated_at,
    });
  }
  const history = new Map<string, Entry>();
  for (const revision of revisions)
    history.set(`${recordKey(revision.domain, revision.mobile_id)}@${revision.version}`, revision.data);

  const plan: BatchPlan = { writes: [], conflicts: [], results: new Map(), statuses: new Map() };
  const sorted = [...items].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));

  for (const item of sorted) {
    const key = recordKey(item.domain, item.mobile_id);
    const current = state.get(key);
    const clientTime = correctedClientTime(item);
    const base: ItemResult = {
      client_mutation_id: item.client_mutation_id,
      mobile_id: item.mobile_id,
      domain: item.domain,
      status: 'applied',
      server_version: null,
      winning_version: null,
      conflict_id: null,
      record: null,
      error: null,
    };
    const guard = tenantContext.guard ?? (() => ({ allowed: true }) as const);
    const refuse = (verdict: Extract<GuardVerdict, { allowed: false }>): void => {
      plan.statuses.set(item.id, 'rejected');
      plan.results.set(item.id, {
        ...base,
        status: 'rejected',
        server_version: verdict.readable ? (current?.version ?? null) : null,
        record: verdict.readable ? copyOf(item.domain, item.mobile_id, current) : null,
        error: verdict.error,
      });
    };
    const invariant = tenantContext.invariant ?? (() => null);
    /** An illegal move goes to a supervisor: a manual_required conflict keeping the device's copy, nothing written. */
    const review = (breach: InvariantBreach, baseEntry: Entry | null): void => {
      const conflictId = newId();
      plan.conflicts.push({
        id: conflictId,
        domain: item.domain,
        mobileId: item.mobile_id,
        deviceId: item.device_id,
        userId: item.user_id,
        serverVersion: current?.version ?? null,
        clientVersion: item.base_version,
        baseVersion: baseEntry ? item.base_version : null,
        strategy: 'invariant',
        result: 'manual_required',
        winningVersion: 'none',
        mergeDetails: {
          from_client: [],
          from_server: [],
          conflicting_fields: [breach.field],
          three_way: baseEntry !== null,
          ...breach,
        },
        serverEntry: current?.data ?? {},
        clientEntry: item.payload,
        baseEntry,
        resultEntry: null,
        source: 'push',
        queueItemId: item.id,
        clientMutationId: item.client_mutation_id,
        resolvedBy: null,
        resolvedAt: null,
        notify: (policies.get(item.domain) ?? policyFor(item.domain)).notify_on_conflict,
      });
      plan.statuses.set(item.id, 'manual_required');
      plan.results.set(item.id, {
        ...base,
        status: 'manual_required',
        server_version: current?.version ?? null,
        winning_version: 'none',
        conflict_id: conflictId,
        record: copyOf(item.domain, item.mobile_id, current),
      });
    };
    const preImage = current === undefined ? null : guard(item, current, null);
    if (preImage !== null && !preImage.allowed) {
      refuse(preImage);
      continue;
    }
    const write = (data: Entry, deleted: boolean, origin: string, editedAt: Date | null): number => {
      const version = (current?.version ?? 0) + 1;
      plan.writes.push({
        domain: item.domain,
        mobileId: item.mobile_id,
        version,
        data,
        deleted,
        clientUpdatedAt: editedAt,
        userId: item.user_id,
        deviceId: item.device_id,
        clientMutationId: item.client_mutation_id,
        origin,
      });
      state.set(key, { version, data, deleted, clientUpdatedAt: editedAt, updatedAt: tenantContext.now });
      history.set(`${key}@${version}`, data);
      return version;
    };

    if (current === undefined ? item.base_version > 0 : item.base_version > current.version) {
      plan.statuses.set(item.id, 'rejected');
      plan.results.set(item.id, {
        ...base,
        status: 'rejected',
        server_version: current?.version ?? null,
        record: copyOf(item.domain, item.mobile_id, current),
        error: {
          code: 'VERSION_AHEAD',
          message: `base_version ${item.base_version} is ahead of the server version ${current?.version ?? 0}`,
        },
      });
      continue;
    }
    if (current === undefined || item.base_version === current.version) {
      const verdict = guard(item, current ?? null, {
        version: (current?.version ?? 0) + 1,
        data: item.payload,
        deleted: item.deleted,
      });
      if (!verdict.allowed) {
        refuse(verdict);
        continue;
      }
      const breach = invariant(item, current?.data ?? null, { data: item.payload, deleted: item.deleted });
      if (breach) {
        review(breach, current && item.base_version > 0 ? current.data : null);
        continue;
      }
      const version = write(item.payload, item.deleted, 'push', clientTime);
      plan.statuses.set(item.id, 'processed');
      plan.results.set(item.id, { ...base, status: 'applied', server_version: version, winning_version: 'client' });
      continue;
    }

    // The device edited an older version: a conflict.
    const policy = policies.get(item.domain) ?? policyFor(item.domain);
    const baseEntry = item.base_version > 0 ? (history.get(`${key}@${item.base_version}`) ?? null) : null;
    const serverEntry = current.data;
    const resolution = resolveConflict(policy, {
      server: serverEntry,
      client: item.payload,
      base: baseEntry,
      serverUpdatedAt: current.clientUpdatedAt ?? current.updatedAt,
      clientUpdatedAt: clientTime,
    });
    const winning =
      resolution.resolution === 'resolved' && resolution.winning_version !== 'server' ? resolution.winning_entry : null;
    const deleted = resolution.winning_version === 'client' ? item.deleted : false;
    if (winning) {
      const verdict = guard(item, current, { version: current.version + 1, data: winning, deleted });
      if (!verdict.allowed) {
        refuse(verdict);
        continue;
      }
      const breach = invariant(item, current.data, { data: winning, deleted });
      if (breach) {
        review(breach, baseEntry);
        continue;
      }
    }
    const conflictId = newId();
    const serverVersion = current.version;
    let resultVersion = current.version;
    if (winning) {
      const editedAt =
        resolution.winning_version === 'client'
          ? clientTime
          : new Date(Math.max(clientTime?.getTime() ?? 0, (current.clientUpdatedAt ?? current.updatedAt).getTime()));
      resultVersion = write(winning, deleted, 'conflict', editedAt);
    }
    const manual = resolution.resolution === 'manual_required';
    plan.conflicts.push({
      id: conflictId,
      domain: item.domain,
      mobileId: item.mobile_id,
      deviceId: item.device_id,
      userId: item.user_id,
      serverVersion,
      clientVersion: item.base_version,
      baseVersion: baseEntry ? item.base_version : null,
      strategy: resolution.strategy_used,
      result: manual ? 'manual_required' : 'resolved',
      winningVersion: resolution.winning_version,
      mergeDetails: resolution.merge_details,
      serverEntry,
      clientEntry: item.payload,
      baseEntry,
      resultEntry: resolution.winning_entry,
      source: 'push',
      queueItemId: item.id,
      clientMutationId: item.client_mutation_id,
      resolvedBy: manual ? null : `policy:${policy.resolution_policy}`,
      resolvedAt: manual ? null : tenantContext.now,
      notify: policy.notify_on_conflict,
    });
    plan.statuses.set(item.id, manual ? 'manual_required' : 'processed');
    const after = state.get(key);
    plan.results.set(item.id, {
      ...base,
      status: manual ? 'manual_required' : 'resolved',
      server_version: resultVersion,
      winning_version: resolution.winning_version,
      conflict_id: conflictId,
      record: resolution.winning_version === 'client' ? null : copyOf(item.domain, item.mobile_id, after),
    });
  }
  return plan;
}

/** Items refused before planning (their schema): a per-item `rejected` result, nothing written. */
export function rejectItems(
  plan: BatchPlan,
  items: readonly PlannedItem[],
  errors: ReadonlyMap<string, ItemError>,
): void {
  for (const item of items) {
    const error = errors.get(item.id);
    if (!error) continue;
    plan.statuses.set(item.id, 'rejected');
    plan.results.set(item.id, {
      client_mutation_id: item.client_mutation_id,
      mobile_id: item.mobile_id,
      domain: item.domain,
      status: 'rejected',
      server_version: null,
      winning_version: null,
      conflict_id: null,
      record: null,
      error,
    });
  }
}

/**
 * Whose items a caller acts on: its user's device (a device id is its user's), else its user's devices, else (admin
 * without user) the tenant.
 */
export function ownerScope(principal: Principal): { deviceId: string | null; userId: string | null } {
  requireSyncUser(principal);
  if (principal.deviceId) return { deviceId: principal.deviceId, userId: principal.userId };
  if (principal.userId) return { deviceId: null, userId: principal.userId };
  return { deviceId: null, userId: null };
}

export type ServerLoad = 'low' | 'medium' | 'high';

/** Server load from the tenant's queue: > 1000 pending high, > 500 medium (defer only in peak hours), else low. */
export function recommendSyncTime(
  queueSize: number,
  isPeakHour: boolean,
): { server_load: ServerLoad; recommendation: 'sync_now' | 'sync_in_30min' } {
  if (queueSize > 1000) return { server_load: 'high', recommendation: 'sync_in_30min' };
  if (queueSize > 500) return { server_load: 'medium', recommendation: isPeakHour ? 'sync_in_30min' : 'sync_now' };
  return { server_load: 'low', recommendation: 'sync_now' };
}

/** The hour of an instant in a timezone (0..23). */
function hourIn(timezone: string, at: Date): number {
  const hour = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', hourCycle: 'h23' }).format(at);
  return Number(hour);
}

export function isPeakHour(timezone: string, at: Date, peak: { start: number; end: number }): boolean {
  const hour = hourIn(timezone, at);
  return hour >= peak.start && hour <= peak.end;
}

export function estimateSyncSeconds(pendingItems: number, msPerItem: number | null): number {
  return Math.ceil((pendingItems * (msPerItem ?? 150)) / 1000);
}
