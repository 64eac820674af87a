import { Q, type Database } from '@nozbe/watermelondb';
import type { DirtyRaw } from '@nozbe/watermelondb/RawRecord';
import {
  synchronize,
  type SyncDatabaseChangeSet,
  type SyncPullArgs,
  type SyncPullResult,
  type SyncPushArgs,
  type SyncPushResult,
} from '@nozbe/watermelondb/sync';
import {
  isoInstant,
  keyValueShadowStore,
  pullPage,
  snapshotAll,
  pushEdits,
  ResyncRequiredError,
  type DeviceInfo,
  type Domain,
  type FieldsyncClient,
  type LocalEdit,
  type PulledChange,
  type PushResult,
  type ServerCopy,
} from '../core';

export { createFieldsyncClient, ResyncRequiredError } from '../core';

export interface FieldsyncWatermelonOptions {
  database: Database;
  client: FieldsyncClient;
  /** Table name → the fieldsync domain its records belong to. */
  tables: Record<string, Domain>;
  /** Columns holding JSON text locally (objects and arrays on the server), per table. */
  jsonColumns?: Record<string, readonly string[]>;
  /** The column with the edit time (Watermelon's `updated_at`, ms): sent as `client_updated_at`. */
  updatedAtColumn?: string;
  /** Prefix of the adapter's keys in `database.localStorage`. */
  storageKey?: string;
  pageSize?: number;
  deviceInfo?: DeviceInfo;
  /** A push item the server refused: it stays unsynced locally (`experimentalRejectedIds`). */
  onRejected?: (result: PushResult) => void;
  /**
   * Told of a 410 RESYNC_REQUIRED: the pull then runs the replacement sync itself (the snapshot, keeping the
   * device's unsynced edits, which the same synchronize() pushes).
   */
  onResyncRequired?: (error: ResyncRequiredError) => void | Promise<void>;
}

interface Pending {
  table: string;
  copy: ServerCopy;
  /** The pull timestamp that delivered it; once Watermelon has stored that timestamp, it was applied. */
  deliveredAt: number | null;
}

const LOCAL_COLUMNS = new Set(['id', '_status', '_changed']);

/**
 * `pullChanges` and `pushChanges` for Watermelon's `synchronize()`, and `sync()` that runs it (twice when the server
 * answered a push with its own copy of a record, so that copy reaches the device).
 *
 * State kept in `database.localStorage`: the feed cursor of each pull timestamp, and the server copy every local
 * record is based on (its version is the next push's `base_version`; delta pulls patch it).
 */
export function fieldsyncWatermelon(options: FieldsyncWatermelonOptions) {
  const { database } = options;
  const prefix = options.storageKey ?? 'fieldsync';
  const storage = {
    get: (key: string) => database.localStorage.get<unknown>(key),
    set: (key: string, value: unknown) => database.localStorage.set(key, value),
  };
  const shadow = keyValueShadowStore(storage, `${prefix}:shadow`);
  const tableOf = new Map(Object.entries(options.tables).map(([table, domain]) => [domain as string, table]));
  const updatedAtColumn = options.updatedAtColumn ?? 'updated_at';

  const toRaw = (table: string, id: string, data: Record<string, unknown>): DirtyRaw => {
    const raw: DirtyRaw = { ...data, id };
    for (const column of options.jsonColumns?.[table] ?? []) {
      if (raw[column] !== undefined && raw[column] !== null) raw[column] = JSON.stringify(raw[column]);
    }
    return raw;
  };
  /** The server's fields the local schema lacks stay as they were; a column that is null and absent stays absent. */
  const toData = (table: string, raw: DirtyRaw, base: Record<string, unknown> | null): Record<string, unknown> => {
    const data: Record<string, unknown> = { ...(base ?? {}) };
    const json = new Set(options.jsonColumns?.[table] ?? []);
    for (const [column, value] of Object.entries(raw)) {
      if (LOCAL_COLUMNS.has(column)) continue;
      if (value === null && !(base && column in base)) continue;
      data[column] = json.has(column) && typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    }
    return data;
  };

  async function locallyChanged(table: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const records = await database
      .get(table)
      .query(Q.where('id', Q.oneOf(ids)))
      .fetch();
    const changed = new Set(records.filter((record) => record._raw._status !== 'synced').map((record) => record.id));
    for (const id of await database.adapter.getDeletedRecords(table)) changed.add(id);
    return changed;
  }

  async function pullChanges({ lastPulledAt }: SyncPullArgs): Promise<SyncPullResult> {
    const cursors = ((await storage.get(`${prefix}:cursors`)) ?? {}) as Record<string, string | null>;
    let cursor = lastPulledAt ? (cursors[String(lastPulledAt)] ?? null) : null;
    const latest = new Map<string, PulledChange>();
    const domains = Object.values(options.tables);
    for (;;) {
      let page;
      try {
        page = await pullPage(options.client, { cursor, limit: options.pageSize ?? 100, domains, shadow });
      } catch (error) {
        if (!(error instanceof ResyncRequiredError)) throw error;
        await options.onResyncRequired?.(error);
        const snapshot = await snapshotAll(options.client, { limit: options.pageSize ?? 100, domains });
        latest.clear();
        for (const change of snapshot.changes) latest.set(change.mobile_id, change);
        // A synced local record the snapshot lacks was deleted (or left the scope) while the device was away.
        for (const [table, domain] of Object.entries(options.tables)) {
          const local = await database.get(table).query(Q.where('_status', 'synced')).fetch();
          for (const record of local) {
            if (latest.has(record.id)) continue;
            latest.set(record.id, { domain, mobile_id: record.id, version: 0, gone: true, removed: true, data: null });
          }
        }
        cursor = snapshot.cursor;
        break;
      }
      for (const change of page.changes) {
        const seen = latest.get(change.mobile_id);
        if (!seen || change.removed || change.version >= seen.version) latest.set(change.mobile_id, change);
      }
      cursor = page.cursor;
      if (!page.hasMore) break;
    }

    const pending = await loadPending();
    for (const [id, entry] of pending) {
      if (entry.deliveredAt !== null && lastPulledAt !== undefined && lastPulledAt >= entry.deliveredAt) {
        pending.delete(id);
        continue;
      }
      const seen = latest.get(id);
      if (!seen || (!seen.removed && seen.version < entry.copy.version)) {
        latest.set(id, {
          domain: entry.copy.domain,
          mobile_id: id,
          version: entry.copy.version,
          gone: entry.copy.deleted,
          removed: false,
          data: entry.copy.data,
        });
      }
    }

    const changes: SyncDatabaseChangeSet = {};
    for (const table of Object.keys(options.tables)) changes[table] = { created: [], updated: [], deleted: [] };
    const byTable = new Map<string, PulledChange[]>();
    for (const change of latest.values()) {
      const table = tableOf.get(change.domain);
      if (table) byTable.set(table, [...(byTable.get(table) ?? []), change]);
    }
    const copies = new Map<string, ServerCopy>();
    const gone: string[] = [];
    for (const [table, list] of byTable) {
      // A record with unpushed edits keeps the copy its edits started from: that version is their base.
      const changed = await locallyChanged(
        table,
        list.map((change) => change.mobile_id),
      );
      for (const change of list) {
        if (change.gone) {
          changes[table].deleted.push(change.mobile_id);
          gone.push(change.mobile_id);
          continue;
        }
        changes[table].updated.push(toRaw(table, change.mobile_id, change.data ?? {}));
        if (!changed.has(change.mobile_id)) {
          copies.set(change.mobile_id, {
            domain: change.domain,
            version: change.version,
            deleted: false,
            data: change.data,
          });
        }
      }
    }
    await shadow.set(copies);
    await shadow.delete(gone);

    const timestamp = Math.max(Date.now(), (lastPulledAt ?? 0) + 1);
    for (const entry of pending.values()) entry.deliveredAt ??= timestamp;
    await savePending(pending);
    const kept = Object.keys(cursors)
      .map(Number)
      .filter((at) => at >= (lastPulledAt ?? 0))
      .sort((a, b) => b - a)
      .slice(0, 4);
    await storage.set(`${prefix}:cursors`, {
      ...Object.fromEntries(kept.map((at) => [String(at), cursors[String(at)]])),
      [String(timestamp)]: cursor,
    });
    return { changes, timestamp };
  }

  async function pushChanges({ changes }: SyncPushArgs): Promise<SyncPushResult> {
    const edits: Array<{ table: string; edit: LocalEdit }> = [];
    for (const [table, domain] of Object.entries(options.tables)) {
      const set = changes[table];
      if (!set) continue;
      const rows = [...set.created, ...set.updated];
      const bases = await shadow.get([...rows.map((raw) => String(raw.id)), ...set.deleted]);
      for (const raw of rows) {
        const id = String(raw.id);
        const base = bases.get(id);
        edits.push({
          table,
          edit: {
            domain,
            mobile_id: id,
            base_version: base?.version ?? 0,
            data: toData(table, raw, base?.data ?? null),
            deleted: false,
            client_updated_at: isoInstant(raw[updatedAtColumn]),
          },
        });
      }
      for (const id of set.deleted) {
        const base = bases.get(id);
        // Never on the server: nothing to delete there.
        if (!base) continue;
        edits.push({
          table,
          edit: {
            domain,
            mobile_id: id,
            base_version: base.version,
            data: base.data ?? {},
            deleted: true,
            client_updated_at: null,
          },
        });
      }
    }
    if (edits.length === 0) return {};
    const tables = new Map(edits.map(({ table, edit }) => [edit.mobile_id, table]));
    const outcomes = await pushEdits(
      options.client,
      edits.map(({ edit }) => edit),
      options.deviceInfo,
    );
    const rejected: Record<string, string[]> = {};
    const copies = new Map<string, ServerCopy>();
    const pending = await loadPending();
    for (const outcome of outcomes) {
      const table = tables.get(outcome.edit.mobile_id)!;
      if (outcome.result.status === 'rejected') {
        options.onRejected?.(outcome.result);
        (rejected[table] ??= []).push(outcome.edit.mobile_id);
        continue;
      }
      if (!outcome.server) continue;
      copies.set(outcome.edit.mobile_id, outcome.server);
      // The server kept or merged something else than what was sent: bring its copy down on the next pull.
      if (outcome.result.record) {
        pending.set(outcome.edit.mobile_id, { table, copy: outcome.server, deliveredAt: null });
      }
    }
    await shadow.set(copies);
    await savePending(pending);
    return Object.keys(rejected).length > 0 ? { experimentalRejectedIds: rejected } : {};
  }

  async function loadPending(): Promise<Map<string, Pending>> {
    const stored = (await storage.get(`${prefix}:pending`)) as Record<string, Pending> | undefined;
    return new Map(Object.entries(stored ?? {}));
  }
  function savePending(pending: Map<string, Pending>): Promise<void> {
    return storage.set(`${prefix}:pending`, Object.fromEntries(pending));
  }

  async function sync(): Promise<void> {
    const args = { database, pullChanges, pushChanges, sendCreatedAsUpdated: true };
    await synchronize(args);
    const undelivered = [...(await loadPending()).values()].some((entry) => entry.deliveredAt === null);
    if (undelivered) await synchronize(args);
  }

  return { pullChanges, pushChanges, sync };
}
