import type { RxCollection, RxReplicationWriteToMasterRow, WithDeleted } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { Subject } from 'rxjs';
import {
  canonicalJson,
  isoInstant,
  memoryShadowStore,
  pullPage,
  snapshotAll,
  pushEdits,
  ResyncRequiredError,
  watchChanges,
  type DeviceInfo,
  type Domain,
  type FieldsyncClient,
  type LocalEdit,
  type Priority,
  type PushResult,
  type ServerCopy,
  type ShadowStore,
} from '../core';

export {
  createFieldsyncClient,
  keyValueShadowStore,
  memoryShadowStore,
  ResyncRequiredError,
  type FieldsyncClient,
  type ShadowStore,
} from '../core';

/** Where the feed continues: the server's opaque cursor. */
export interface FieldsyncCheckpoint {
  cursor: string | null;
}

type Doc = Record<string, unknown>;

export interface FieldsyncRxdbOptions<T> {
  collection: RxCollection<T>;
  client: FieldsyncClient;
  /** The collection holds the records of this domain. */
  domain: Domain;
  /** The document field that holds the server version (written by the replication, never by the app). */
  versionField?: string;
  /** The document field the app sets on every edit (ISO string or ms): sent as `client_updated_at`. */
  updatedAtField?: string;
  /** Server copies for delta pulls; defaults to memory (full records again after a restart). */
  shadow?: ShadowStore;
  replicationIdentifier?: string;
  batchSize?: number;
  live?: boolean;
  /** With live: follow the server's change stream as `pull.stream$` (default true); false polls only on reSync(). */
  stream?: boolean;
  retryTime?: number;
  waitForLeadership?: boolean;
  deviceInfo?: DeviceInfo;
  priority?: (doc: T) => Priority;
  /** A push item the server refused (`status: rejected`); the server's copy, when it sent one, replaces the doc. */
  onRejected?: (result: PushResult) => void;
  /**
   * Told of a 410 RESYNC_REQUIRED: the pull then runs the replacement sync itself through the snapshot (unpushed
   * local edits stay and are pushed as usual).
   */
  onResyncRequired?: (error: ResyncRequiredError) => void | Promise<void>;
}

/** The pull and push handlers of `replicateRxCollection` for one fieldsync domain. */
export function fieldsyncHandlers<T>(options: FieldsyncRxdbOptions<T>) {
  const primary = options.collection.schema.primaryPath as string;
  const versionField = options.versionField ?? 'version';
  const updatedAtField = options.updatedAtField ?? 'updated_at';
  const shadow = options.shadow ?? memoryShadowStore();
  const internal = new Set([primary, versionField, '_deleted', '_meta', '_rev', '_attachments']);
  let lastCursor: string | null = null;

  const dataOf = (doc: Doc): Record<string, unknown> =>
    Object.fromEntries(Object.entries(doc).filter(([key]) => !internal.has(key)));
  const docOf = (id: string, copy: ServerCopy, fallback: Record<string, unknown> | null): WithDeleted<T> =>
    ({
      ...(copy.data ?? fallback ?? {}),
      [primary]: id,
      [versionField]: copy.version,
      _deleted: copy.deleted,
    }) as unknown as WithDeleted<T>;
  const sameState = (a: Doc, b: Doc): boolean =>
    canonicalJson({ ...dataOf(a), v: a[versionField], d: !!a._deleted }) ===
    canonicalJson({ ...dataOf(b), v: b[versionField], d: !!b._deleted });

  async function pull(checkpoint: FieldsyncCheckpoint | undefined, batchSize: number) {
    // RxDB keeps no checkpoint from a pull that returned no documents, so a device whose first pull was empty comes
    // back without a cursor. A pull from the start is never a 410 and cannot tell of purged deletions: without a
    // feed position the pull is a replacement (first) sync through the snapshot, which also drops the records it
    // had sent before and the snapshot lacks.
    if (!checkpoint?.cursor) return replacement();
    let cursor: string | null = checkpoint.cursor;
    const documents: WithDeleted<T>[] = [];
    const copies = new Map<string, ServerCopy>();
    const gone: string[] = [];
    for (;;) {
      let page;
      try {
        page = await pullPage(options.client, {
          cursor,
          limit: batchSize - documents.length,
          domains: [options.domain],
          shadow,
        });
      } catch (error) {
        if (!(error instanceof ResyncRequiredError)) throw error;
        await options.onResyncRequired?.(error);
        return replacement();
      }
      const previous = await shadow.get(page.changes.filter((c) => c.gone).map((c) => c.mobile_id));
      for (const change of page.changes) {
        const before = previous.get(change.mobile_id);
        const copy: ServerCopy = {
          domain: change.domain,
          version: change.removed ? (before?.version ?? 0) : change.version,
          deleted: change.gone,
          data: change.data,
        };
        documents.push(docOf(change.mobile_id, copy, before?.data ?? null));
        if (change.gone) gone.push(change.mobile_id);
        else copies.set(change.mobile_id, copy);
      }
      cursor = page.cursor;
      if (!page.hasMore || documents.length >= batchSize) break;
    }
    await shadow.set(copies);
    await shadow.delete(gone);
    lastCursor = cursor;
    return { documents, checkpoint: { cursor } };
  }

  /**
   * After a 410: the snapshot's records as the master state, and every record the server had sent before that the
   * snapshot lacks as deleted. Local edits not yet pushed stay in the fork and are pushed against their base.
   */
  async function replacement() {
    const snapshot = await snapshotAll(options.client, { limit: 200, domains: [options.domain] });
    const held = await shadow.get(Object.keys(await shadow.knownVersions(Number.MAX_SAFE_INTEGER)));
    const documents: WithDeleted<T>[] = [];
    const copies = new Map<string, ServerCopy>();
    for (const change of snapshot.changes) {
      const copy: ServerCopy = { domain: change.domain, version: change.version, deleted: false, data: change.data };
      documents.push(docOf(change.mobile_id, copy, held.get(change.mobile_id)?.data ?? null));
      copies.set(change.mobile_id, copy);
    }
    const gone = [...held.keys()].filter((mobileId) => !copies.has(mobileId));
    for (const mobileId of gone) {
      const before = held.get(mobileId)!;
      documents.push(docOf(mobileId, { ...before, deleted: true, data: null }, before.data));
    }
    await shadow.set(copies);
    await shadow.delete(gone);
    lastCursor = snapshot.cursor;
    return { documents, checkpoint: { cursor: snapshot.cursor } };
  }

  async function push(rows: RxReplicationWriteToMasterRow<T>[]): Promise<WithDeleted<T>[]> {
    const edits: LocalEdit[] = [];
    for (const row of rows) {
      const next = row.newDocumentState as unknown as Doc;
      const assumed = row.assumedMasterState as unknown as Doc | undefined;
      // The master copy written back by the previous push (or a record created and deleted offline): nothing to send.
      if (assumed ? sameState(assumed, next) : next._deleted === true) continue;
      edits.push({
        domain: options.domain,
        mobile_id: String(next[primary]),
        base_version: assumed ? Number(assumed[versionField] ?? 0) : 0,
        data: dataOf(next),
        deleted: next._deleted === true,
        client_updated_at: isoInstant(next[updatedAtField]),
        priority: options.priority?.(row.newDocumentState),
      });
    }
    if (edits.length === 0) return [];
    const outcomes = await pushEdits(options.client, edits, options.deviceInfo);
    const copies = new Map<string, ServerCopy>();
    const masters: WithDeleted<T>[] = [];
    for (const outcome of outcomes) {
      if (outcome.result.status === 'rejected') options.onRejected?.(outcome.result);
      if (!outcome.server) continue;
      copies.set(outcome.edit.mobile_id, outcome.server);
      // Every server answer becomes RxDB's master state: its version is the base of the next edit.
      masters.push(docOf(outcome.edit.mobile_id, outcome.server, outcome.edit.data));
    }
    await shadow.set(copies);
    return masters;
  }

  return { pull, push, cursor: () => lastCursor };
}

/** Starts an RxDB replication of `collection` with fieldsync. */
export function replicateFieldsync<T>(options: FieldsyncRxdbOptions<T>): RxReplicationState<T, FieldsyncCheckpoint> {
  const handlers = fieldsyncHandlers(options);
  const batchSize = options.batchSize ?? 100;
  const live = options.live ?? true;
  // Each stream event only says "pull now": RxDB then runs the pull handler from its checkpoint (deltas included).
  const stream$ = live && options.stream !== false ? new Subject<'RESYNC'>() : undefined;
  const state = replicateRxCollection<T, FieldsyncCheckpoint>({
    collection: options.collection,
    replicationIdentifier: options.replicationIdentifier ?? `fieldsync-${options.domain}`,
    live,
    retryTime: options.retryTime ?? 5000,
    waitForLeadership: options.waitForLeadership ?? false,
    pull: { handler: handlers.pull, batchSize, ...(stream$ ? { stream$: stream$.asObservable() } : {}) },
    push: { handler: handlers.push, batchSize },
  });
  if (stream$) {
    const stop = watchChanges(options.client, {
      domains: [options.domain],
      cursor: handlers.cursor,
      retryMs: options.retryTime,
      onChange: () => stream$.next('RESYNC'),
    });
    state.onCancel.push(() => {
      stop();
      stream$.complete();
    });
  }
  return state;
}
