import { DAY_MS, HOUR_MS } from '../../common/time/instant';

export interface TimeWindow {
  start: Date;
  end: Date;
}

/** The last complete window of `hours` hours before `now`, aligned to whole hours (UTC), so replicas agree on it. */
export function alignedWindow(now: Date, hours: number): TimeWindow {
  const end = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  return { start: new Date(end.getTime() - hours * HOUR_MS), end };
}

/** The window of the last `hours` hours ending at `now` (on-demand snapshots). */
export function trailingWindow(now: Date, hours: number): TimeWindow {
  return { start: new Date(now.getTime() - hours * HOUR_MS), end: now };
}

/** The last complete period of `days` days ending at UTC midnight before `now` (weekly report). */
export function alignedDays(now: Date, days: number): TimeWindow {
  const end = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  return { start: new Date(end.getTime() - days * DAY_MS), end };
}
