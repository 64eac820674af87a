import { Injectable } from '@nestjs/common';
import type { Domain } from '../../common/domain';
import type { Queryable } from '../../database/sql';
import { announceChange, CHANGES_CHANNEL, encodeSignal } from '../live/change-signal';
import { DirectoryRepository } from './directory.repository';
import { holdsAnyKeySql, KeyChangeRow, ScopeIndexRepository, StoredKeyRow } from './scope-index.repository';
import { SyncRulesService } from './sync-rules.service';
import {
  directoryKeys,
  idsOf,
  keyChanges,
  lostKeys,
  Membership,
  ownerGroupRole,
  RecordData,
  recordKeys,
  recordOwner,
  userKey,
} from './scope.policy';
import type { SyncRules } from './sync-rules.policy';

export interface RecordRef {
  domain: Domain;
  mobileId: string;
}

/** What a record holds in record_scope now. */
export interface StoredScope {
  keys: string[];
  createdBy: string | null;
}

/** A record version as the push path has it before writing (for the post-image of write checks). */
export interface VersionInput extends RecordRef {
  version: number;
  data: RecordData;
  deleted: boolean;
  /** Who writes this version; the creator when it is version 1. */
  userId: string | null;
}

/** A record version written in this transaction, with the change_seq sync_record gave it. */
export interface WrittenVersion extends VersionInput {
  changeSeq: string;
}

/** A version a batch's checks look at: an item's payload or a current copy, with its author when it would create. */
export interface BatchVersion extends RecordRef {
  data: RecordData;
  /** The item's user when the record does not exist yet (it would be the creator); null otherwise. */
  author: string | null;
}

/** What a push batch's write checks and key writes read once (see readBatch). */
export interface BatchScopeRead {
  rules: SyncRules;
  stored: Map<string, StoredScope>;
  /** The keys each of the requested users holds now. */
  userKeys: Map<string, string[]>;
  /** The active memberships of every owner an owner-group rule may follow (a superset is harmless). */
  memberships: Map<string, Membership[]>;
}

export interface ScopeWriteSummary {
  records: number;
  /** record_scope rows inserted and deleted, scope_change rows appended. */
  inserted: number;
  deleted: number;
  logged: number;
}

/** The keys a record version holds, given its creator and the owners' memberships (see ownerMemberships). */
export function versionKeys(
  rules: SyncRules,
  domain: Domain,
  data: RecordData,
  creator: string | null,
  memberships: ReadonlyMap<string, readonly Membership[]>,
): string[] {
  const owner = recordOwner(rules, domain, data, creator);
  const ownerMemberships = owner === null ? [] : (memberships.get(owner) ?? []);
  return recordKeys(rules, domain, data, { creator, ownerMemberships });
}

export function refKey(domain: string, mobileId: string): string {
  return `${domain}:${mobileId.toLowerCase()}`;
}

/** The highest change_seq among written versions ("0" when none). */
export function highestSeq(versions: ReadonlyArray<{ changeSeq: string }>): string {
  return versions.reduce((top, { changeSeq }) => (BigInt(changeSeq) > BigInt(top) ? changeSeq : top), '0');
}

/** Stored key rows (in domain, mobile_id, key order) by record. */
function storedOf(rows: readonly StoredKeyRow[]): Map<string, StoredScope> {
  const stored = new Map<string, StoredScope>();
  for (const row of rows) {
    const key = refKey(row.domain, row.mobile_id);
    const scope = stored.get(key) ?? { keys: [], createdBy: row.created_by };
    scope.keys.push(row.scope_key);
    scope.createdBy ??= row.created_by;
    stored.set(key, scope);
  }
  return stored;
}

/** The latest version of each record in a batch (a batch may carry several versions of one record). */
function latestOfEach<T extends VersionInput>(versions: readonly T[]): Map<string, T> {
  const latest = new Map<string, T>();
  for (const version of versions) {
    const key = refKey(version.domain, version.mobileId);
    const current = latest.get(key);
    if (!current || current.version < version.version) latest.set(key, version);
  }
  return latest;
}

/**
 * Maintains record_scope and the scope_change log inside the caller's transaction: the keys of every record
 * version written (push, manual resolve, restore) and the removals a directory change causes.
 */
@Injectable()
export class ScopeIndexService {
  constructor(
    private readonly index: ScopeIndexRepository,
    private readonly directory: DirectoryRepository,
    private readonly rules: SyncRulesService,
  ) {}

  /**
   * Everything a push batch's write checks and key writes read, in one statement under the record locks: the rules
   * (only their version number while this replica's copy is in force), the records' stored keys and creators, the
   * keys of `userIds`, and the memberships of the owners owner-group rules may follow (every user the versions'
   * user fields name, their authors and the stored creators). Only when the rules changed since this replica last
   * read them and an owner-group rule applies does a second statement read the owners' memberships.
   */
  async readBatch(
    db: Queryable,
    tenantId: string,
    versions: readonly BatchVersion[],
    userIds: readonly string[],
  ): Promise<BatchScopeRead> {
    const knownVersion = this.rules.knownVersion(tenantId);
    const guess = knownVersion === null ? null : this.rules.inForce(tenantId, knownVersion, null);
    const owners = new Set<string>();
    let creatorOwners = false;
    for (const version of versions) {
      const rule = guess?.[version.domain];
      if (!rule?.owner_groups) continue;
      for (const field of rule.users) for (const id of idsOf(version.data[field])) owners.add(id);
      if (version.author !== null) owners.add(version.author);
      creatorOwners = true;
    }
    const records = new Map<string, RecordRef>();
    for (const version of versions) records.set(refKey(version.domain, version.mobileId), version);
    const row = await this.index.readForBatch(
      db,
      tenantId,
      [...records.values()],
      knownVersion,
      [...userIds],
      [...owners],
      creatorOwners,
    );
    const rules = this.rules.inForce(tenantId, row.rules.version, row.rules.rules);
    const stored = storedOf(row.stored);
    const userKeys = new Map<string, string[]>();
    const users = new Map(row.users.map((user) => [user.user_id, user]));
    for (const userId of userIds) userKeys.set(userId, directoryKeys(userId, users.get(userId)));
    let memberships = new Map<string, Membership[]>();
    if (knownVersion === row.rules.version && guess !== null) {
      for (const m of row.memberships)
        memberships.set(m.user_id, [...(memberships.get(m.user_id) ?? []), { group: m.group, role: m.role }]);
    } else {
      memberships = await this.ownerMemberships(
        db,
        tenantId,
        rules,
        versions.map((version) => ({
          domain: version.domain,
          data: version.data,
          creator: stored.get(refKey(version.domain, version.mobileId))?.createdBy ?? version.author,
        })),
      );
    }
    return { rules, stored, userKeys, memberships };
  }

  /**
   * For another module's statement over records: SQL true when the row `record` holds one of the text[] parameter
   * `keys` (NULL: no scope). record_scope stays this module's table; the caller joins through this fragment.
   */
  holdsAnyKeySql(record: string, keys: string): string {
    return holdsAnyKeySql(record, keys);
  }

  /** The keys and creator stored for these records (pre-image of write checks, base of the diff); one statement. */
  async storedScopes(
    db: Queryable,
    tenantId: string,
    records: readonly RecordRef[],
  ): Promise<Map<string, StoredScope>> {
    return storedOf(await this.index.storedKeys(db, tenantId, [...records]));
  }

  /**
   * The keys each version would hold under the rules, in input order. The creator is the stored one, else the
   * author of a version 1 among the input. A tombstone keeps the keys the record holds, so whoever read it receives
   * the deletion. Owner memberships are read in one statement, only when an owner-group rule needs them.
   */
  async keysFor(
    db: Queryable,
    tenantId: string,
    rules: SyncRules,
    versions: readonly VersionInput[],
    stored: ReadonlyMap<string, StoredScope>,
    known?: ReadonlyMap<string, readonly Membership[]>,
  ): Promise<string[][]> {
    const creators = new Map<string, string | null>();
    for (const version of versions) {
      const key = refKey(version.domain, version.mobileId);
      if (!creators.has(key)) creators.set(key, stored.get(key)?.createdBy ?? null);
      if (version.version === 1 && creators.get(key) === null) creators.set(key, version.userId);
    }
    const memberships =
      known ??
      (await this.ownerMemberships(
        db,
        tenantId,
        rules,
        versions.map((version) => ({
          ...version,
          creator: creators.get(refKey(version.domain, version.mobileId)) ?? null,
        })),
      ));
    return versions.map((version) => {
      const key = refKey(version.domain, version.mobileId);
      const held = stored.get(key)?.keys ?? [];
      if (version.deleted && held.length > 0) return [...held].sort();
      return versionKeys(rules, version.domain, version.data, creators.get(key) ?? null, memberships);
    });
  }

  /**
   * The active memberships of the users whose groups owner-group rules follow for these versions, in one statement
   * (none when no version needs them): with them, versionKeys computes keys without the database.
   */
  async ownerMemberships(
    db: Queryable,
    tenantId: string,
    rules: SyncRules,
    versions: ReadonlyArray<{ domain: Domain; data: RecordData; creator: string | null }>,
  ): Promise<Map<string, Membership[]>> {
    const owners = new Set<string>();
    for (const version of versions) {
      if (ownerGroupRole(rules, version.domain, version.data) === null) continue;
      const owner = recordOwner(rules, version.domain, version.data, version.creator);
      if (owner !== null) owners.add(owner);
    }
    const memberships = new Map<string, Membership[]>();
    for (const row of await this.directory.activeMemberships(db, tenantId, [...owners])) {
      memberships.set(row.user_id, [...(memberships.get(row.user_id) ?? []), { group: row.group, role: row.role }]);
    }
    return memberships;
  }

  /**
   * Writes the keys of record versions written in this transaction: record_scope rows replaced and one scope_change
   * row per key (added, kept or lost) at the version's change_seq, and in the same statement announces the commit to
   * live readers with those keys (so only readers of them wake). Pass `stored` when the caller already read it
   * (under the record locks, for the write checks) and the owners' memberships it read: then this is one statement,
   * else two (plus one when an owner-group rule needs the owners' memberships). Call last.
   */
  async writeRecordKeys(
    db: Queryable,
    tenantId: string,
    rules: SyncRules,
    versions: readonly WrittenVersion[],
    stored?: ReadonlyMap<string, StoredScope>,
    memberships?: ReadonlyMap<string, readonly Membership[]>,
  ): Promise<ScopeWriteSummary> {
    if (versions.length === 0) return { records: 0, inserted: 0, deleted: 0, logged: 0 };
    const latest = [...latestOfEach(versions).values()];
    const isLatest = new Set(latest);
    const before = stored ?? (await this.storedScopes(db, tenantId, latest));
    const keys = await this.keysFor(db, tenantId, rules, versions, before, memberships);
    const after = new Map<string, string[]>();
    const creators = new Map<string, string | null>();
    versions.forEach((version, i) => {
      const key = refKey(version.domain, version.mobileId);
      if (isLatest.has(version)) after.set(key, keys[i]);
      if (version.version === 1) creators.set(key, version.userId);
    });
    const rows: KeyChangeRow[] = [];
    for (const version of latest) {
      const key = refKey(version.domain, version.mobileId);
      const old = before.get(key);
      const createdBy = old?.createdBy ?? creators.get(key) ?? null;
      for (const change of keyChanges(old ? old.keys : null, after.get(key) ?? [], 'edit')) {
        rows.push({
          domain: version.domain,
          mobile_id: version.mobileId,
          scope_key: change.key,
          change_seq: version.changeSeq,
          kind: change.kind,
          reason: change.reason,
          store: change.kind === 'remove' ? 'delete' : change.held ? 'keep' : 'insert',
          created_by: createdBy,
        });
      }
    }
    const signal = { tenantId, changeSeq: highestSeq(versions), keys: rows.map((row) => row.scope_key) };
    if (rows.length > 0)
      await this.index.writeChanges(db, tenantId, rows, { channel: CHANGES_CHANNEL, payload: encodeSignal(signal) });
    else await announceChange(db, signal);
    return {
      records: latest.length,
      inserted: rows.filter((row) => row.store === 'insert').length,
      deleted: rows.filter((row) => row.store === 'delete').length,
      logged: rows.length,
    };
  }

  /**
   * After a directory change of one user in this transaction: logs, under the user's own key, a removal of every
   * record it could read only through the keys it lost. Returns how many removals were logged.
   */
  async revokeUserKeys(
    db: Queryable,
    tenantId: string,
    userId: string,
    before: readonly string[],
    after: readonly string[],
  ): Promise<number> {
    return this.index.logRevocations(db, tenantId, userKey(userId), lostKeys(before, after), [...after]);
  }
}
