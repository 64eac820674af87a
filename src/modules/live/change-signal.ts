import { Queryable, sql } from '../../database/sql';

/** The PostgreSQL channel every replica listens on. */
export const CHANGES_CHANNEL = 'fieldsync_changes';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a signal stays below with room to spare. */
export const MAX_SIGNAL_BYTES = 7900;

/**
 * What a commit announces: the tenant, the highest change_seq it wrote and the scope keys whose logs it appended to
 * (added, kept or removed), never record data. Without `keys` the signal concerns the whole tenant: a commit that
 * wrote no keys (the tenant feed only), or one whose keys would not fit in a payload.
 */
export interface ChangeSignal {
  tenantId: string;
  changeSeq: string;
  keys?: string[];
}

/** The payload: `{t, s, k}` with the keys sorted and once each; `k` dropped (tenant-wide) when it would not fit. */
export function encodeSignal(signal: ChangeSignal): string {
  const base = { t: signal.tenantId, s: signal.changeSeq };
  if (!signal.keys) return JSON.stringify(base);
  const narrowed = JSON.stringify({ ...base, k: [...new Set(signal.keys)].sort() });
  return Buffer.byteLength(narrowed) < MAX_SIGNAL_BYTES ? narrowed : JSON.stringify(base);
}

/** A payload from the channel, or undefined when it is not one of ours. */
export function decodeSignal(payload: string | undefined): ChangeSignal | undefined {
  try {
    const raw = JSON.parse(payload ?? '') as { t?: unknown; s?: unknown; k?: unknown };
    if (typeof raw.t !== 'string' || typeof raw.s !== 'string') return undefined;
    const keys = Array.isArray(raw.k) ? raw.k.filter((key): key is string => typeof key === 'string') : undefined;
    return { tenantId: raw.t, changeSeq: raw.s, ...(keys ? { keys } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Queues the announcement in the writing transaction: PostgreSQL delivers it to every listener when (and only when)
 * the transaction commits, on both backends. Every transaction that changes a feed calls this once, last.
 */
export async function announceChange(db: Queryable, signal: ChangeSignal): Promise<void> {
  await sql(db, `SELECT pg_notify($1, $2)`, [CHANGES_CHANNEL, encodeSignal(signal)]);
}
