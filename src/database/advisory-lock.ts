import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';

/** A stable signed 64-bit key for a lock name. */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * Runs work inside a transaction holding a transaction-scoped advisory lock, so one replica at a time does it.
 * Returns undefined without running it when another replica holds the lock. In `shared` mode, holders of the shared
 * lock run side by side and exclude only the exclusive holder.
 */
export async function withAdvisoryXactLock<T>(
  db: DataSource,
  name: string,
  work: (manager: EntityManager) => Promise<T>,
  mode: 'exclusive' | 'shared' = 'exclusive',
): Promise<{ ran: true; result: T } | { ran: false }> {
  const take = mode === 'shared' ? 'pg_try_advisory_xact_lock_shared' : 'pg_try_advisory_xact_lock';
  return db.transaction(async (manager) => {
    const rows: Array<{ locked: boolean }> = await manager.query(`SELECT ${take}($1) AS locked`, [advisoryKey(name)]);
    if (!rows[0]?.locked) return { ran: false as const };
    return { ran: true as const, result: await work(manager) };
  });
}
