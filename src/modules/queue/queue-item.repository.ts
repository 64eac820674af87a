import { Injectable } from '@nestjs/common';
import { stringifyInSlices } from '../../common/async/time-slice';
import { advisoryKey } from '../../database/advisory-lock';
import { Queryable, sql } from '../../database/sql';
import type { ItemResult, PlannedItem } from './queue.policy';

export interface NewQueueItem {
  client_mutation_id: string;
  payload_hash: string;
  domain: string;
  mobile_id: string;
  base_version: number;
  payload: Record<string, unknown>;
  deleted: boolean;
  client_updated_at: string | null;
  priority: number;
  clock_offset_ms: number | null;
  schema_version: number | null;
}

export interface StoredItem {
  id: string;
  client_mutation_id: string;
  payload_hash: string;
  domain: string;
  mobile_id: string;
  priority: number;
  status: string;
  result: ItemResult | null;
}

export interface ClaimFilter {
  tenantId: string;
  /** One device, or every device of a user, or (both null) every device of the tenant. */
  deviceId: string | null;
  userId: string | null;
  /** Highest priority rank number included (0 high only, 2 everything). */
  maxPriorityRank: number;
  limit: number;
}

export interface ItemOutcome {
  id: string;
  status: 'processed' | 'manual_required' | 'rejected';
  result: ItemResult;
}

/** The unique indexes that keep a mutation id once per user and device (and per device for items without a user). */
const MUTATION_ARBITER = '(tenant_id, user_id, device_id, client_mutation_id) WHERE user_id IS NOT NULL';
const MUTATION_ARBITER_NO_USER = '(tenant_id, device_id, client_mutation_id) WHERE user_id IS NULL';

const CLAIMED_COLUMNS = `q.id, q.device_id, q.user_id, q.client_mutation_id, q.domain, q.mobile_id, q.base_version,
  q.payload, q.deleted, q.client_updated_at, q.clock_offset_ms::float8 AS clock_offset_ms, q.priority,
  q.schema_version`;

/** sync_queue_item: ingest, claims (SKIP LOCKED) and results, each a single set-based statement. */
@Injectable()
export class QueueItemRepository {
  /**
   * Serializes the pushes of one device until the transaction ends: concurrent copies of a push whose items come in
   * different orders would otherwise lock the same mutation ids in opposite orders and deadlock.
   */
  async lockDevice(db: Queryable, tenantId: string, userId: string | null, deviceId: string): Promise<void> {
    await sql(db, 'SELECT pg_advisory_xact_lock($1::bigint)', [
      advisoryKey(`push:${tenantId}:${userId ?? ''}:${deviceId}`),
    ]);
  }

  /**
   * Stores new mutations in push order; ones already known (same user, device and client_mutation_id) are left
   * alone. A device id is its user's: the same id under another user is another device.
   * The batch travels as one JSON document (cheaper to encode and parse than arrays of JSON strings).
   * `pendingBefore`: whether the device had a pending item before this push (then it must go through a claim),
   * read in the same statement, whose snapshot does not see the rows it inserts; the device lock keeps other
   * pushes of the device out.
   */
  async insertNew(
    db: Queryable,
    tenantId: string,
    deviceId: string,
    userId: string | null,
    items: NewQueueItem[],
  ): Promise<{ inserted: Array<{ id: string; client_mutation_id: string }>; pendingBefore: boolean }> {
    const rows = await sql<{ id: string | null; client_mutation_id: string | null; pending_before: boolean }>(
      db,
      `WITH inserted AS (
         INSERT INTO sync_queue_item (tenant_id, device_id, user_id, client_mutation_id, payload_hash, domain,
                                      mobile_id, base_version, payload, deleted, client_updated_at, priority,
                                      clock_offset_ms, schema_version)
         SELECT $1, $2, $3, i.client_mutation_id, i.payload_hash, i.domain, i.mobile_id, i.base_version, i.payload,
                i.deleted, i.client_updated_at, i.priority, i.clock_offset_ms, i.schema_version
         FROM ROWS FROM (jsonb_to_recordset($4::jsonb)
                AS (client_mutation_id text, payload_hash text, domain text, mobile_id uuid, base_version int,
                    payload jsonb, deleted bool, client_updated_at timestamptz, priority smallint,
                    clock_offset_ms bigint, schema_version int))
              WITH ORDINALITY AS i(client_mutation_id, payload_hash, domain, mobile_id, base_version, payload, deleted,
                                   client_updated_at, priority, clock_offset_ms, schema_version, ord)
         ORDER BY i.ord
         ON CONFLICT ${userId === null ? MUTATION_ARBITER_NO_USER : MUTATION_ARBITER} DO NOTHING
         RETURNING id, client_mutation_id),
       before AS (
         SELECT EXISTS (SELECT 1 FROM sync_queue_item
                        WHERE tenant_id = $1 AND device_id = $2 AND user_id IS NOT DISTINCT FROM $3
                          AND status = 'pending') AS pending_before)
       SELECT n.id, n.client_mutation_id, b.pending_before
       FROM before b LEFT JOIN inserted n ON true`,
      [tenantId, deviceId, userId, await stringifyInSlices(items)],
    );
    return {
      inserted: rows.flatMap((row) =>
        row.id === null ? [] : [{ id: row.id, client_mutation_id: row.client_mutation_id! }],
      ),
      pendingBefore: rows[0]?.pending_before ?? false,
    };
  }

  async findByMutationIds(
    db: Queryable,
    tenantId: string,
    userId: string | null,
    deviceId: string,
    mutationIds: string[],
  ): Promise<StoredItem[]> {
    return sql<StoredItem>(
      db,
      `SELECT id, client_mutation_id, payload_hash, domain, mobile_id, priority, status, result
       FROM sync_queue_item
       WHERE tenant_id = $1 AND device_id = $2 AND user_id IS NOT DISTINCT FROM $4
         AND client_mutation_id = ANY($3::text[])`,
      [tenantId, deviceId, mutationIds, userId],
    );
  }

  /**
   * Locks the most urgent pending items (SKIP LOCKED: another processor's items are left to it). An item is as urgent
   * as the most urgent later edit of the same record from the same device, so edits of one record are never
   * reordered: whenever an item is chosen, its predecessors sort before it and are chosen too.
   */
  async claim(db: Queryable, filter: ClaimFilter): Promise<PlannedItem[]> {
    return sql<PlannedItem>(
      db,
      `WITH pending AS (
         SELECT id, min(priority) OVER (PARTITION BY user_id, device_id, domain, mobile_id ORDER BY id DESC) AS urgency
         FROM sync_queue_item
         WHERE tenant_id = $1 AND status = 'pending'
           AND ($2::text IS NULL OR device_id = $2) AND ($3::text IS NULL OR user_id = $3)
       ), chosen AS (
         SELECT id FROM pending WHERE urgency <= $4 ORDER BY urgency, id LIMIT $5
       )
       SELECT ${CLAIMED_COLUMNS}
       FROM sync_queue_item q JOIN chosen c ON q.id = c.id
       WHERE q.tenant_id = $1 AND q.status = 'pending'
       ORDER BY q.id
       FOR UPDATE OF q SKIP LOCKED`,
      [filter.tenantId, filter.deviceId, filter.userId, filter.maxPriorityRank, filter.limit],
    );
  }

  /** Pending item ids of the given records and devices, oldest first: to check no predecessor was skipped. */
  async pendingIdsOf(
    db: Queryable,
    tenantId: string,
    items: PlannedItem[],
  ): Promise<Array<{ id: string; user_id: string | null; device_id: string; domain: string; mobile_id: string }>> {
    if (items.length === 0) return [];
    return sql(
      db,
      `SELECT q.id, q.user_id, q.device_id, q.domain, q.mobile_id
       FROM sync_queue_item q
       JOIN (SELECT DISTINCT * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::text[]))
              AS k(device_id, domain, mobile_id, user_id)
         ON q.device_id = k.device_id AND q.domain = k.domain AND q.mobile_id = k.mobile_id
        AND q.user_id IS NOT DISTINCT FROM k.user_id
       WHERE q.tenant_id = $1 AND q.status = 'pending'
       ORDER BY q.id`,
      [
        tenantId,
        items.map((i) => i.device_id),
        items.map((i) => i.domain),
        items.map((i) => i.mobile_id),
        items.map((i) => i.user_id),
      ],
    );
  }

  async markDone(db: Queryable, tenantId: string, outcomes: ItemOutcome[], msPerItem: number): Promise<void> {
    if (outcomes.length === 0) return;
    await sql(
      db,
      `UPDATE sync_queue_item q
       SET status = o.status, result = o.result, processed_at = now(), attempts = q.attempts + 1, processing_ms = $3
       FROM jsonb_to_recordset($2::jsonb) AS o(id bigint, status text, result jsonb)
       WHERE q.tenant_id = $1 AND q.id = o.id`,
      [tenantId, JSON.stringify(outcomes), msPerItem],
    );
  }

  async countPending(
    db: Queryable,
    tenantId: string,
    deviceId: string | null,
    userId: string | null,
  ): Promise<{ pending: number; high: number }> {
    const rows = await sql<{ pending: string; high: string }>(
      db,
      `SELECT count(*) AS pending, count(*) FILTER (WHERE priority = 0) AS high
       FROM sync_queue_item
       WHERE tenant_id = $1 AND status = 'pending' AND ($2::text IS NULL OR device_id = $2) AND ($3::text IS NULL OR user_id = $3)`,
      [tenantId, deviceId, userId],
    );
    return { pending: Number(rows[0].pending), high: Number(rows[0].high) };
  }

  /** Pending items of every tenant by priority rank (0 high, 1 medium, 2 low). */
  async pendingByPriority(db: Queryable): Promise<Array<{ priority: number; n: number }>> {
    return sql<{ priority: number; n: number }>(
      db,
      `SELECT priority::int AS priority, count(*)::int AS n FROM sync_queue_item WHERE status = 'pending'
       GROUP BY priority`,
    );
  }

  /** Average processing time per item over the last hour, or null without history. */
  async recentMsPerItem(db: Queryable, tenantId: string): Promise<number | null> {
    const rows = await sql<{ avg: number | null }>(
      db,
      `SELECT avg(processing_ms)::float8 AS avg FROM sync_queue_item
       WHERE tenant_id = $1 AND processed_at > now() - interval '1 hour' AND processing_ms IS NOT NULL`,
      [tenantId],
    );
    return rows[0]?.avg ?? null;
  }

  /** Devices (a user's device id) with pending items, oldest waiting first, across all tenants (the drain). */
  async pendingDevices(
    db: Queryable,
    limit: number,
  ): Promise<Array<{ tenant_id: string; user_id: string | null; device_id: string }>> {
    return sql(
      db,
      `SELECT tenant_id, user_id, device_id FROM sync_queue_item WHERE status = 'pending'
       GROUP BY tenant_id, user_id, device_id ORDER BY min(id) LIMIT $1`,
      [limit],
    );
  }
}
