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

/** Average processing time per item of the tenant ($1) over the last hour, or null without history. */
const RECENT_MS_PER_ITEM = `SELECT avg(processing_ms)::float8 FROM sync_queue_item
  WHERE tenant_id = $1 AND processed_at > now() - interval '1 hour' AND processing_ms IS NOT NULL`;

/** A claimed item's columns (PlannedItem), as the claim's last step selects them from its ranked CTE. */
const CLAIMED_NAMES = [
  'id',
  'device_id',
  'user_id',
  'client_mutation_id',
  'domain',
  'mobile_id',
  'base_version',
  'payload',
  'deleted',
  'client_updated_at',
  'clock_offset_ms',
  'priority',
  'schema_version',
];
const CLAIMED_COLUMNS = CLAIMED_NAMES.map((name) =>
  name === 'clock_offset_ms' ? 'q.clock_offset_ms::float8 AS clock_offset_ms' : `q.${name}`,
).join(', ');

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
   */
  async insertNew(
    db: Queryable,
    tenantId: string,
    deviceId: string,
    userId: string | null,
    items: NewQueueItem[],
  ): Promise<Array<{ id: string; client_mutation_id: string }>> {
    return sql<{ id: string; client_mutation_id: string }>(
      db,
      `INSERT INTO sync_queue_item (tenant_id, device_id, user_id, client_mutation_id, payload_hash, domain,
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
       RETURNING id, client_mutation_id`,
      [tenantId, deviceId, userId, await stringifyInSlices(items)],
    );
  }

  /**
   * The device's stored items among these mutation ids, and whether it has a pending item: read before anything of
   * the push is written, under the device lock (every push of the device takes it, so no other can store one of these
   * ids until this transaction ends). One index probe per id (a LATERAL lookup, never a hash join over the tenant).
   */
  async findKnown(
    db: Queryable,
    tenantId: string,
    deviceId: string,
    userId: string | null,
    mutationIds: string[],
  ): Promise<{ known: StoredItem[]; pendingBefore: boolean }> {
    const owner = userId === null ? 'user_id IS NULL AND $3::text IS NULL' : 'user_id = $3';
    // LEFT JOIN: one row with id null when nothing is known, so pending_before always comes back.
    const rows = await sql<Omit<StoredItem, 'id'> & { id: string | null; pending_before: boolean }>(
      db,
      `WITH known AS (
         SELECT q.id, q.client_mutation_id, q.payload_hash, q.domain, q.mobile_id, q.priority, q.status, q.result
         FROM unnest($4::text[]) AS m(client_mutation_id)
         CROSS JOIN LATERAL (SELECT * FROM sync_queue_item
                             WHERE tenant_id = $1 AND device_id = $2 AND ${owner}
                               AND client_mutation_id = m.client_mutation_id OFFSET 0) q)
       SELECT k.*, EXISTS (SELECT 1 FROM sync_queue_item
                           WHERE tenant_id = $1 AND device_id = $2 AND ${owner} AND status = 'pending') AS pending_before
       FROM (SELECT 1) one LEFT JOIN known k ON true`,
      [tenantId, deviceId, userId, mutationIds],
    );
    return {
      known: rows.flatMap(({ pending_before: _, id, ...row }) => (id === null ? [] : [{ ...row, id }])),
      pendingBefore: rows[0]?.pending_before ?? false,
    };
  }

  /**
   * Stores a push's items already applied, each with its status and result, in push order: each queue row is written
   * once. The caller read them unknown under the device lock (findKnown), so a duplicate id here is a bug and fails
   * the transaction (no ON CONFLICT). Returns the new id of each client_mutation_id.
   */
  async insertDone(
    db: Queryable,
    tenantId: string,
    deviceId: string,
    userId: string | null,
    items: Array<NewQueueItem & Omit<ItemOutcome, 'id'>>,
    msPerItem: number,
  ): Promise<Map<string, string>> {
    if (items.length === 0) return new Map();
    const rows = await sql<{ id: string; client_mutation_id: string }>(
      db,
      `INSERT INTO sync_queue_item (tenant_id, device_id, user_id, client_mutation_id, payload_hash, domain, mobile_id,
                                    base_version, payload, deleted, client_updated_at, priority, clock_offset_ms,
                                    schema_version, status, result, attempts, processed_at, processing_ms)
       SELECT $1, $2, $3, i.client_mutation_id, i.payload_hash, i.domain, i.mobile_id, i.base_version, i.payload,
              i.deleted, i.client_updated_at, i.priority, i.clock_offset_ms, i.schema_version, i.status, i.result, 1,
              now(), $5
       FROM ROWS FROM (jsonb_to_recordset($4::jsonb)
              AS (client_mutation_id text, payload_hash text, domain text, mobile_id uuid, base_version int,
                  payload jsonb, deleted bool, client_updated_at timestamptz, priority smallint, clock_offset_ms bigint,
                  schema_version int, status text, result jsonb))
            WITH ORDINALITY AS i(client_mutation_id, payload_hash, domain, mobile_id, base_version, payload, deleted,
                                 client_updated_at, priority, clock_offset_ms, schema_version, status, result, ord)
       ORDER BY i.ord
       RETURNING id, client_mutation_id`,
      [tenantId, deviceId, userId, await stringifyInSlices(items), msPerItem],
    );
    return new Map(rows.map((row) => [row.client_mutation_id, row.id]));
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
   * reordered: whenever an item is chosen, its predecessors sort before it and are chosen too. A chosen item whose
   * earlier pending edit of the same record (same user and device) could not be locked, because another processor
   * holds it, is left out (and stays pending): its place in its chain among the locked items is then lower than
   * among the pending ones. One statement; the chosen ids travel as an array and are locked by primary-key probes,
   * so the plan does not depend on the queue table's statistics (a join was planned as a nested loop over the
   * tenant's pending items when they were stale, 0.6 s for 500 items).
   */
  async claim(db: Queryable, filter: ClaimFilter): Promise<PlannedItem[]> {
    return sql<PlannedItem>(
      db,
      `WITH pending AS (
         SELECT id, min(priority) OVER (PARTITION BY user_id, device_id, domain, mobile_id ORDER BY id DESC) AS urgency,
                row_number() OVER (PARTITION BY user_id, device_id, domain, mobile_id ORDER BY id) AS chain_pos
         FROM sync_queue_item
         WHERE tenant_id = $1 AND status = 'pending'
           AND ($2::text IS NULL OR device_id = $2) AND ($3::text IS NULL OR user_id = $3)
       ), chosen AS (
         SELECT array_agg(id ORDER BY id) AS ids, array_agg(chain_pos ORDER BY id) AS positions
         FROM (SELECT id, chain_pos FROM pending WHERE urgency <= $4 ORDER BY urgency, id LIMIT $5) AS top
       ), locked AS (
         SELECT q.*
         FROM unnest((SELECT ids FROM chosen)) AS c(id)
         CROSS JOIN LATERAL (
           SELECT ${CLAIMED_COLUMNS}, q.status
           FROM sync_queue_item q
           WHERE q.tenant_id = $1 AND q.id = c.id
           OFFSET 0
           FOR UPDATE OF q SKIP LOCKED
         ) AS q
         WHERE q.status = 'pending'
       ), ranked AS (
         SELECT l.*, row_number() OVER (PARTITION BY l.user_id, l.device_id, l.domain, l.mobile_id ORDER BY l.id) AS locked_pos
         FROM locked l
       )
       SELECT ${CLAIMED_NAMES.map((name) => `r.${name}`).join(', ')}
       FROM ranked r, chosen c
       WHERE r.locked_pos = c.positions[array_position(c.ids, r.id)]
       ORDER BY r.id`,
      [filter.tenantId, filter.deviceId, filter.userId, filter.maxPriorityRank, filter.limit],
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
      [tenantId, await stringifyInSlices(outcomes), msPerItem],
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

  /**
   * countPending and, when `withMsPerItem`, the tenant's average per-item processing time over the last hour (null
   * without history) in the same statement: queue-status costs one round trip either way.
   */
  async pendingWithMsPerItem(
    db: Queryable,
    tenantId: string,
    deviceId: string | null,
    userId: string | null,
    withMsPerItem: boolean,
  ): Promise<{ pending: number; high: number; msPerItem: number | null }> {
    const rows = await sql<{ pending: string; high: string; ms_per_item: number | null }>(
      db,
      `SELECT count(*) AS pending, count(*) FILTER (WHERE priority = 0) AS high,
              ${withMsPerItem ? `(${RECENT_MS_PER_ITEM})` : 'NULL::float8'} AS ms_per_item
       FROM sync_queue_item
       WHERE tenant_id = $1 AND status = 'pending' AND ($2::text IS NULL OR device_id = $2) AND ($3::text IS NULL OR user_id = $3)`,
      [tenantId, deviceId, userId],
    );
    return { pending: Number(rows[0].pending), high: Number(rows[0].high), msPerItem: rows[0].ms_per_item };
  }

  /** Pending items of every tenant by priority rank (0 high, 1 medium, 2 low). */
  async pendingByPriority(db: Queryable): Promise<Array<{ priority: number; n: number }>> {
    return sql<{ priority: number; n: number }>(
      db,
      `SELECT priority::int AS priority, count(*)::int AS n FROM sync_queue_item WHERE status = 'pending'
       GROUP BY priority`,
    );
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
