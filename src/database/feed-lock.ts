import { Queryable, sql } from './sql';

/**
 * The position sequence of the changes feed, shared by record writes (sync_record.change_seq) and the scope log
 * (scope_change.change_seq): one order for everything a pull reads.
 */
export const NEXT_CHANGE_SEQ = `nextval('sync_change_seq')`;

/**
 * The tenant's feed lock, held until the transaction ends. Every writer takes it before taking a change_seq, so
 * change_seq order is commit order and a reader holding it knows every lower position is committed.
 */
export async function lockFeed(db: Queryable, tenantId: string): Promise<void> {
  await sql(db, `SELECT pg_advisory_xact_lock(hashtextextended('feed:' || $1, 0))`, [tenantId]);
}
