import { DAY_MS, parseInstant } from '../../common/time/instant';
import type { RecordData } from './upcast.policy';

/** DOMAINS.md: a punch-in and its punch-out are at most 24 h apart; an open punch-in counts as that long. */
export const MAX_SHIFT_MS = DAY_MS;

/** Half-open [start, end) in epoch ms. */
export interface PunchInterval {
  start: number;
  end: number;
}

export interface AttendanceCopy {
  mobile_id: string;
  data: RecordData;
}

function instant(value: unknown): number | null {
  try {
    return parseInstant(value);
  } catch {
    return null;
  }
}

/** The person an attendance row belongs to, or null. */
export function personOf(data: RecordData): string | null {
  const people = data.people;
  return typeof people === 'number' || (typeof people === 'string' && people !== '') ? String(people) : null;
}

/** punchintime to punchouttime (or 24 h when still open); null when there is no usable punch-in. */
export function punchInterval(data: RecordData): PunchInterval | null {
  const start = instant(data.punchintime);
  if (start === null) return null;
  const out = instant(data.punchouttime);
  if (out === null) return { start, end: start + MAX_SHIFT_MS };
  return out > start ? { start, end: out } : null;
}

export function intervalsOverlap(a: PunchInterval, b: PunchInterval): boolean {
  return a.start < b.end && b.start < a.end;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The local dates (the first ten characters of punchintime) that another row overlapping `interval` can have:
 * it starts at most a shift before, and its offset moves its local date by at most a day either way.
 */
export function punchInDays(interval: PunchInterval): { from_day: string; to_day: string } {
  return { from_day: isoDay(interval.start - MAX_SHIFT_MS - DAY_MS), to_day: isoDay(interval.end + DAY_MS) };
}

/**
 * For each candidate (a batch's new copies), the other rows of the same person whose punch intervals overlap it:
 * the other candidates and the stored rows, a stored row standing in only where the batch has no newer copy.
 */
export function findOverlaps(
  candidates: readonly AttendanceCopy[],
  stored: readonly AttendanceCopy[],
): Map<string, string[]> {
  const inBatch = new Set(candidates.map((c) => c.mobile_id));
  const rows = [...candidates, ...stored.filter((s) => !inBatch.has(s.mobile_id))]
    .map((row) => ({ mobile_id: row.mobile_id, person: personOf(row.data), interval: punchInterval(row.data) }))
    .filter((row) => row.person !== null && row.interval !== null);
  const byPerson = new Map<string, typeof rows>();
  for (const row of rows) byPerson.set(row.person!, [...(byPerson.get(row.person!) ?? []), row]);
  const result = new Map<string, string[]>();
  for (const candidate of candidates) {
    const person = personOf(candidate.data);
    const interval = punchInterval(candidate.data);
    if (person === null || interval === null) continue;
    const others = (byPerson.get(person) ?? [])
      .filter((row) => row.mobile_id !== candidate.mobile_id && intervalsOverlap(interval, row.interval!))
      .map((row) => row.mobile_id)
      .sort();
    if (others.length > 0) result.set(candidate.mobile_id, others);
  }
  return result;
}
