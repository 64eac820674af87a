import { AppException } from '../errors/app-exception';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
/** What a device must send: a `T` between date and time, at most nanosecond fractions. */
const STRICT_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** ISO 8601 with offset → epoch ms; null when missing; a 400 for anything else. */
export function parseInstant(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) throw AppException.validation('invalid date');
    return time;
  }
  if (typeof value !== 'string') {
    throw AppException.validation(`timestamp must be an ISO 8601 string with offset, got ${typeof value}`);
  }
  const match = ISO_INSTANT.exec(value.trim());
  const invalid = (): AppException =>
    AppException.validation(`"${value.slice(0, 64)}" is not an ISO 8601 timestamp with offset`);
  if (!match) throw invalid();
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(match[i]));
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const millis = match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
  const offsetHours = match[10] === undefined ? 0 : Number(match[10]);
  const offsetMinutes = match[11] === undefined ? 0 : Number(match[11]);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    throw invalid();
  }
  const sign = match[9] === '-' ? -1 : 1;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** A device-sent timestamp (strict form) → epoch ms, or a 400 naming `field`. */
export function requireInstant(value: string, field: string): number {
  let ms: number | null;
  try {
    ms = STRICT_INSTANT.test(value) ? parseInstant(value) : null;
  } catch {
    ms = null;
  }
  if (ms === null || Number.isNaN(ms)) {
    throw AppException.validation(`${field} must be an ISO 8601 timestamp with offset`, [
      { field, message: 'invalid timestamp' },
    ]);
  }
  return ms;
}

/** A timestamp from a query string: a literal "+" arrives as a space ("…T10:00:00 05:30" means +05:30). */
export function parseQueryInstant(value: string | undefined): number | null {
  return value === undefined ? null : parseInstant(value.replace(/ (\d{2}:?\d{2})$/, '+$1'));
}
