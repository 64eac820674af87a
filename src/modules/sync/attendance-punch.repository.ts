import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';

export interface PunchWindow {
  people: string;
  from_day: string;
  to_day: string;
}

/** A stored attendance record, reduced to the fields the overlap invariant compares. */
export interface StoredPunch {
  mobile_id: string;
  data: Record<string, unknown>;
}

/** The read of sync_record behind the attendance overlap invariant (record-shape). */
@Injectable()
export class AttendancePunchRepository {
  /**
   * The stored, live attendance rows of the people in `windows` whose punch-in falls on the window's days, except
   * the records in `exclude` (the batch's own): one statement for a whole batch. Dates are compared as text (the
   * first ten characters of punchintime), so a malformed stored value is never cast and never fails the batch.
   */
  async punchesOf(db: Queryable, tenantId: string, windows: PunchWindow[], exclude: string[]): Promise<StoredPunch[]> {
    if (windows.length === 0) return [];
    return sql<StoredPunch>(
      db,
      `SELECT DISTINCT r.mobile_id,
              jsonb_build_object('people', r.data->'people', 'punchintime', r.data->'punchintime',
                                 'punchouttime', r.data->'punchouttime') AS data
         FROM jsonb_to_recordset($2::jsonb) AS w(people text, from_day text, to_day text)
         JOIN sync_record r
           ON r.tenant_id = $1 AND r.domain = 'attendance' AND NOT r.deleted
          AND r.data->>'people' = w.people
          AND left(r.data->>'punchintime', 10) BETWEEN w.from_day AND w.to_day
        WHERE NOT (r.mobile_id = ANY($3::uuid[]))
        ORDER BY r.mobile_id`,
      [tenantId, JSON.stringify(windows), exclude],
    );
  }
}
