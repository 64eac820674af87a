import { Queryable, sql } from './sql';

/**
 * Serialises writers of these records until the transaction ends (rows that do not exist yet included), always in
 * the same order so two batches never deadlock. Every path that changes a record or its scope keys takes it.
 */
export async function lockRecords(
  db: Queryable,
  tenantId: string,
  records: ReadonlyArray<{ domain: string; mobileId: string }>,
): Promise<void> {
  if (records.length === 0) return;
  await sql(
    db,
    `SELECT count(pg_advisory_xact_lock(k)) FROM (
       SELECT DISTINCT hashtextextended($1 || ':' || d || ':' || lower(m), 0) AS k
       FROM unnest($2::text[], $3::text[]) AS t(d, m) ORDER BY k) AS locks`,
    [tenantId, records.map((record) => record.domain), records.map((record) => record.mobileId)],
  );
}
