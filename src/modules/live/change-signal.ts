import { Queryable, sql } from '../../database/sql';

/** The PostgreSQL channel every replica listens on. */
export const CHANGES_CHANNEL = 'fieldsync_changes';

/**
 * What a commit announces: the tenant and the highest change_seq it wrote, never record data. `keys` (scope keys
 * of the changed records) is optional so the per-user scopes can narrow wake-ups without a new format.
 */
export interface ChangeSignal {
  tenantId: string;
  changeSeq: string;
  keys?: string[];
}

export function encodeSignal(signal: ChangeSignal): string {
  return JSON.stringify({ t: signal.tenantId, s: signal.changeSeq, ...(signal.keys ? { k: signal.keys } : {}) });
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
 * the transaction commits, on both backends.
 */
export async function announceChange(db: Queryable, signal: ChangeSignal): Promise<void> {
  await sql(db, `SELECT pg_notify($1, $2)`, [CHANGES_CHANNEL, encodeSignal(signal)]);
}
