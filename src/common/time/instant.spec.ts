import { AppException } from '../errors/app-exception';
import { parseInstant, parseQueryInstant, requireInstant } from './instant';

describe('parseInstant', () => {
  it('compares +00:00 and Z forms as the same instant', () => {
    expect(parseInstant('2025-09-28T12:00:00+00:00')).toBe(parseInstant('2025-09-28T12:00:00Z'));
    expect(parseInstant('2025-09-28T17:30:00+05:30')).toBe(Date.UTC(2025, 8, 28, 12, 0, 0));
    expect(parseInstant('2025-09-28T07:00:00.250-05:00')).toBe(Date.UTC(2025, 8, 28, 12, 0, 0, 250));
  });

  it('returns null for a missing timestamp and accepts Dates', () => {
    expect(parseInstant(undefined)).toBeNull();
    expect(parseInstant(null)).toBeNull();
    expect(parseInstant('')).toBeNull();
    expect(parseInstant(new Date(Date.UTC(2025, 0, 1)))).toBe(Date.UTC(2025, 0, 1));
  });

  it.each(['yesterday', '2025-09-28T12:00:00', '2025-02-30T10:00:00Z', '2025-09-28T25:00:00Z', '2025-13-01T00:00Z'])(
    'rejects %s with a validation error',
    (value) => {
      expect(() => parseInstant(value)).toThrow(AppException);
      try {
        parseInstant(value);
      } catch (error) {
        expect((error as AppException).status).toBe(400);
      }
    },
  );

  it('rejects non-string values', () => {
    expect(() => parseInstant(12)).toThrow(AppException);
    expect(() => parseInstant(new Date('nope'))).toThrow(AppException);
  });
});

describe('requireInstant', () => {
  it('accepts the strict device form and names the field otherwise', () => {
    expect(requireInstant('2025-09-28T12:00:00Z', 'device_time')).toBe(Date.UTC(2025, 8, 28, 12));
    expect(() => requireInstant('2025-09-28 12:00:00Z', 'device_time')).toThrow('device_time must be an ISO 8601');
    expect(() => requireInstant('2025-02-30T10:00:00Z', 'x')).toThrow(AppException);
  });
});

describe('parseQueryInstant', () => {
  it('reads a "+" offset that arrived as a space', () => {
    expect(parseQueryInstant('2025-09-28T17:30:00 05:30')).toBe(Date.UTC(2025, 8, 28, 12));
    expect(parseQueryInstant(undefined)).toBeNull();
  });
});
