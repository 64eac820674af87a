import { Queryable, sql, sqlOne } from './sql';

/**
 * The position sequence of the changes feed, shared by record writes (sync_record.change_seq) and the scope log
 * (scope_change.change_seq): one order for everything a pull reads.
 */
export const NEXT_CHANGE_SEQ = `nextval('sync_change_seq')`;

/**
 * The tenant's changes feed (sync_record.change_seq, scope_change.change_seq, grant sequences) as a reader–writer
 * arrangement on advisory locks, so concurrent writers of one tenant no longer wait for each other's commits:
 *
 * - A writer calls enterFeed once before it takes any change_seq (nextval of sync_change_seq) in its transaction. It
 *   then holds until commit the tenant's feed lock in shared mode and a shared "seq mark" lock whose two-int key is
 *   the sequence's last value at that moment, a lower bound of every change_seq the transaction will take.
 * - A feed reader calls feedHorizon before it reads a page and reads only change_seqs at or below it: the lowest
 *   seq mark held by an in-flight writer of the tenant, minus one, and never above the sequence's value read before
 *   the lock table. A change_seq at or below the horizon was taken before that read, so its writer either holds its
 *   mark (then the horizon is below it) or has ended, and a commit is visible before its locks are released: the
 *   next statement's snapshot sees it. A later change that commits first is held back, never skipped, and the reader
 *   never waits.
 * - A snapshot position takes the tenant's feed lock exclusively (it waits for the writers in flight).
 *
 * The two-int advisory key space (objsubid 2 in pg_locks) is used only for seq marks; every other advisory lock of
 * the app uses one bigint key. pg_locks lists the locks of every database of the cluster and advisory keys are
 * per database: the horizon counts only this database's (another database's writer of the same tenant id holds
 * marks of another sequence, and counting it held pulls back, so devices missed committed changes).
 */
export async function enterFeed(db: Queryable, tenantId: string): Promise<void> {
  await sql(
    db,
    `SELECT pg_advisory_xact_lock_shared(hashtextextended('feed:' || $1, 0)),
            pg_advisory_xact_lock_shared((s.mark >> 32)::int, (s.mark & 4294967295)::bit(32)::int)
     FROM (SELECT last_value AS mark FROM sync_change_seq) s`,
    [tenantId],
  );
}

/**
 * The highest change_seq a feed page may include now (see enterFeed). The sequence is read first, then the lock
 * table in a sub-plan of that row; the page must be read by a later statement (its snapshot must follow the scan).
 */
export async function feedHorizon(db: Queryable, tenantId: string): Promise<string> {
  const row = await sqlOne<{ horizon: string }>(
    db,
    `SELECT least(s.last_value,
                  (SELECT min(m.classid::bigint * 4294967296 + m.objid::bigint) - 1
                   FROM pg_locks m JOIN pg_locks f ON f.virtualtransaction = m.virtualtransaction
                   WHERE m.locktype = 'advisory' AND m.objsubid = 2 AND m.granted AND s.last_value IS NOT NULL
                     AND m.database = d.oid AND f.database = d.oid
                     AND f.locktype = 'advisory' AND f.objsubid = 1 AND f.granted
                     AND f.classid = (k.key >> 32)::int::oid AND f.objid = (k.key & 4294967295)::oid))::text AS horizon
     FROM sync_change_seq s, (SELECT hashtextextended('feed:' || $1, 0) AS key) k,
          (SELECT oid FROM pg_database WHERE datname = current_database()) d`,
    [tenantId],
  );
  return row?.horizon ?? '0';
}

/** The exclusive side: waits for the tenant's writers in flight and keeps new ones out until the transaction ends. */
export async function excludeFeedWriters(db: Queryable, tenantId: string): Promise<void> {
  await sql(db, `SELECT pg_advisory_xact_lock(hashtextextended('feed:' || $1, 0))`, [tenantId]);
}
