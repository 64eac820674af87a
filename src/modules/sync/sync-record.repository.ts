import { Injectable } from '@nestjs/common';
import { stringifyInSlices } from '../../common/async/time-slice';
import { NEXT_CHANGE_SEQ, enterFeed, feedHorizon } from '../../database/feed-lock';
import { lockRecords } from '../../database/record-locks';
import { Queryable, sql } from '../../database/sql';

export interface RecordKey {
  domain: string;
  mobileId: string;
}

export interface RecordRow {
  domain: string;
  mobile_id: string;
  version: number;
  data: Record<string, unknown>;
  deleted: boolean;
  change_seq: string;
  client_updated_at: Date | null;
  updated_at: Date;
}

export interface RevisionRow {
  domain: string;
  mobile_id: string;
  version: number;
  data: Record<string, unknown>;
  deleted: boolean;
}

export interface RecordWrite {
  domain: string;
  mobileId: string;
  /** The new version; several versions of one record may be written at once, in order. */
  version: number;
  data: Record<string, unknown>;
  deleted: boolean;
  clientUpdatedAt: Date | null;
  userId: string | null;
  deviceId: string | null;
  clientMutationId: string | null;
  /** push, conflict, manual, restore. */
  origin: string;
}

export interface WrittenRecord {
  domain: string;
  mobile_id: string;
  version: number;
  change_seq: string;
}

function toRow(write: RecordWrite): Record<string, unknown> {
  return {
    domain: write.domain,
    mobile_id: write.mobileId,
    version: write.version,
    data: write.data,
    deleted: write.deleted,
    client_updated_at: write.clientUpdatedAt?.toISOString() ?? null,
    user_id: write.userId,
    device_id: write.deviceId,
    client_mutation_id: write.clientMutationId,
    origin: write.origin,
  };
}

export function recordKey(domain: string, mobileId: string): string {
  return `${domain}:${mobileId.toLowerCase()}`;
}

/** sync_record and sync_record_revision: every statement is set-based, whatever the number of records. */
@Injectable()
export class SyncRecordRepository {
  /**
   * Serialises writers of these records until the transaction ends (rows that do not exist yet included), always in
   * the same order so two batches never deadlock.
   */
  async lock(db: Queryable, tenantId: string, keys: RecordKey[]): Promise<void> {
    await lockRecords(db, tenantId, keys);
  }

  /**
   * One primary-key probe per key: a LATERAL subquery fenced with OFFSET 0, which the planner cannot flatten into a
   * join (a plain LATERAL is flattened, and on young tables' statistics planned as a hash join over the tenant).
   */
  async find(db: Queryable, tenantId: string, keys: RecordKey[]): Promise<RecordRow[]> {
    if (keys.length === 0) return [];
    return sql<RecordRow>(
      db,
      `SELECT r.domain, r.mobile_id, r.version, r.data, r.deleted, r.change_seq, r.client_updated_at, r.updated_at
       FROM unnest($2::text[], $3::uuid[]) AS k(domain, mobile_id)
       CROSS JOIN LATERAL (SELECT * FROM sync_record
                           WHERE tenant_id = $1 AND domain = k.domain AND mobile_id = k.mobile_id OFFSET 0) r`,
      [tenantId, keys.map((key) => key.domain), keys.map((key) => key.mobileId)],
    );
  }

  /**
   * The current copies of these records in the order given, cut at `maxBytes` of record JSON by a running sum in
   * SQL (always at least one row), so a scoped page never loads more than its budget. `covered` is how many of the
   * wanted records, from the first, the page holds (records without a current copy included): the rest wait.
   */
  async findWithin(
    db: Queryable,
    tenantId: string,
    keys: RecordKey[],
    maxBytes: number,
  ): Promise<{ rows: RecordRow[]; covered: number }> {
    if (keys.length === 0) return { rows: [], covered: 0 };
    const rows = await sql<RecordRow & { cut_at: number | null }>(
      db,
      `WITH found AS (
         SELECT r.domain, r.mobile_id, r.version, r.data, r.deleted, r.change_seq, r.client_updated_at, r.updated_at,
                k.ord, row_number() OVER w AS n, sum(octet_length(r.data::text)) OVER w AS running
         FROM unnest($2::text[], $3::uuid[]) WITH ORDINALITY AS k(domain, mobile_id, ord)
         CROSS JOIN LATERAL (SELECT * FROM sync_record
                             WHERE tenant_id = $1 AND domain = k.domain AND mobile_id = k.mobile_id OFFSET 0) r
         WINDOW w AS (ORDER BY k.ord ROWS UNBOUNDED PRECEDING))
       SELECT domain, mobile_id, version, data, deleted, change_seq, client_updated_at, updated_at,
              (SELECT min(ord) FROM found WHERE n > 1 AND running > $4)::int AS cut_at
       FROM found WHERE n = 1 OR running <= $4
       ORDER BY ord`,
      [tenantId, keys.map((key) => key.domain), keys.map((key) => key.mobileId), maxBytes],
    );
    const cutAt = rows[0]?.cut_at ?? null;
    return { rows: rows.map(({ cut_at: _, ...row }) => row), covered: cutAt === null ? keys.length : cutAt - 1 };
  }

  async findRevisions(
    db: Queryable,
    tenantId: string,
    wanted: Array<RecordKey & { version: number }>,
  ): Promise<RevisionRow[]> {
    if (wanted.length === 0) return [];
    return sql<RevisionRow>(
      db,
      `SELECT v.domain, v.mobile_id, v.version, v.data, v.deleted
       FROM unnest($2::text[], $3::uuid[], $4::int[]) AS k(domain, mobile_id, version)
       CROSS JOIN LATERAL (SELECT * FROM sync_record_revision
                           WHERE tenant_id = $1 AND domain = k.domain AND mobile_id = k.mobile_id
                             AND version = k.version OFFSET 0) v`,
      [tenantId, wanted.map((w) => w.domain), wanted.map((w) => w.mobileId), wanted.map((w) => w.version)],
    );
  }

  /**
   * Writes new versions in one statement, the batch sent once: every version becomes a revision, the last one of
   * each record its current copy with a new change_seq, taken as a writer of the tenant's feed (enterFeed, one
   * statement before: shared, so concurrent writers do not wait for each other; a feed reader holds back every change
   * above the lowest one still in flight). Call last in the transaction: from here to commit the tenant's feed is held.
   */
  async write(db: Queryable, tenantId: string, writes: RecordWrite[]): Promise<WrittenRecord[]> {
    if (writes.length === 0) return [];
    const latest = new Map<string, RecordWrite>();
    for (const write of writes) {
      const key = recordKey(write.domain, write.mobileId);
      const current = latest.get(key);
      if (!current || current.version < write.version) latest.set(key, write);
    }
    const last = new Set(latest.values());
    // Serialised before the feed is entered: readers wait from there to commit.
    const rows = await stringifyInSlices(writes.map((write) => ({ ...toRow(write), latest: last.has(write) })));
    await enterFeed(db, tenantId);
    return sql<WrittenRecord>(
      db,
      `WITH w AS MATERIALIZED (
         SELECT * FROM ROWS FROM (jsonb_to_recordset($2::jsonb)
                AS (domain text, mobile_id uuid, version int, data jsonb, deleted bool, client_updated_at timestamptz,
                    user_id text, device_id text, client_mutation_id text, origin text, latest bool))
              WITH ORDINALITY AS w(domain, mobile_id, version, data, deleted, client_updated_at, user_id, device_id,
                                   client_mutation_id, origin, latest, ord)),
       revisions AS (
         INSERT INTO sync_record_revision
           (tenant_id, domain, mobile_id, version, data, deleted, device_id, user_id, client_mutation_id, origin)
         SELECT $1, domain, mobile_id, version, data, deleted, device_id, user_id, client_mutation_id, origin FROM w)
       INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, deleted, change_seq, client_updated_at,
                                updated_at, updated_by_user, updated_by_device)
       SELECT $1, w.domain, w.mobile_id, w.version, w.data, w.deleted, ${NEXT_CHANGE_SEQ}, w.client_updated_at, now(),
              w.user_id, w.device_id
       FROM w WHERE w.latest
       ORDER BY w.ord
       ON CONFLICT ON CONSTRAINT pk_sync_record DO UPDATE SET
         version = EXCLUDED.version, data = EXCLUDED.data, deleted = EXCLUDED.deleted,
         change_seq = EXCLUDED.change_seq, client_updated_at = EXCLUDED.client_updated_at,
         updated_at = EXCLUDED.updated_at, updated_by_user = EXCLUDED.updated_by_user,
         updated_by_device = EXCLUDED.updated_by_device
       RETURNING domain, mobile_id, version, change_seq`,
      [tenantId, rows],
    );
  }

  /**
   * The next changes after a position, at most `limit` rows and at most `maxBytes` of record JSON (always at least
   * one row), cut in SQL by a running sum so the process never loads more than a page. `fetched` counts the rows the
   * window saw (up to `limit`), so a caller asking for one row more than it sends knows whether more follow.
   * Changes above the feed horizon (an earlier change_seq still in flight) wait for the next page.
   */
  async changesAfter(
    db: Queryable,
    tenantId: string,
    afterSeq: string,
    domains: string[] | null,
    limit: number,
    maxBytes: number,
  ): Promise<{ rows: RecordRow[]; fetched: number }> {
    const horizon = await feedHorizon(db, tenantId);
    const rows = await sql<RecordRow & { fetched: string }>(
      db,
      `WITH page AS (
         SELECT domain, mobile_id, version, data, deleted, change_seq, client_updated_at, updated_at,
                row_number() OVER w AS n, sum(octet_length(data::text)) OVER w AS running
         FROM sync_record
         WHERE tenant_id = $1 AND change_seq > $2 AND change_seq <= $6
           AND ($3::text[] IS NULL OR domain = ANY($3::text[]))
         WINDOW w AS (ORDER BY change_seq ROWS UNBOUNDED PRECEDING)
         ORDER BY change_seq
         LIMIT $4)
       SELECT domain, mobile_id, version, data, deleted, change_seq, client_updated_at, updated_at,
              (SELECT count(*) FROM page)::text AS fetched
       FROM page WHERE n = 1 OR running <= $5
       ORDER BY change_seq`,
      [tenantId, afterSeq, domains, limit, maxBytes, horizon],
    );
    const fetched = rows.length > 0 ? Number(rows[0].fetched) : 0;
    return { rows: rows.map(({ fetched: _, ...row }) => row), fetched };
  }
}
