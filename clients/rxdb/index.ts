import type { RxCollection, RxReplicationWriteToMasterRow, WithDeleted } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import {
  canonicalJson,
  isoInstant,
  memoryShadowStore,
  pullPage,
  pushEdits,
  ResyncRequiredError,
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
  retryTime?: number;
  waitForLeadership?: boolean;
  deviceInfo?: DeviceInfo;
  priority?: (doc: T) => Priority;
  /** A push item the server refused (`status: rejected`); the server's copy, when it sent one, replaces the doc. */
  onRejected?: (result: PushResult) => void;
  /**
   * Called with the 410 RESYNC_REQUIRED of a pull before the pull fails (RxDB retries it after `retryTime`): the
   * place to cancel this replication and run a replacement sync.
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
    let cursor = checkpoint?.cursor ?? null;
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
        if (error instanceof ResyncRequiredError) await options.onResyncRequired?.(error);
        throw error;
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
    return { documents, checkpoint: { cursor } };
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

  return { pull, push };
}

/** Starts an RxDB replication of `collection` with fieldsync. */
export function replicateFieldsync<T>(options: FieldsyncRxdbOptions<T>): RxReplicationState<T, FieldsyncCheckpoint> {
  const handlers = fieldsyncHandlers(options);
  const batchSize = options.batchSize ?? 100;
  return replicateRxCollection<T, FieldsyncCheckpoint>({
    collection: options.collection,
    replicationIdentifier: options.replicationIdentifier ?? `fieldsync-${options.domain}`,
    live: options.live ?? true,
    retryTime: options.retryTime ?? 5000,
    waitForLeadership: options.waitForLeadership ?? false,
    pull: { handler: handlers.pull, batchSize },
    push: { handler: handlers.push, batchSize },
  });
}
