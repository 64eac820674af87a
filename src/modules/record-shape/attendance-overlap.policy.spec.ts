import fc from 'fast-check';
import { findOverlaps, intervalsOverlap, punchInDays, punchInterval } from './attendance-overlap.policy';

const shift = (mobile_id: string, people: number | string, punchintime: string, punchouttime: string | null) => ({
  mobile_id,
  data: { people, shift: 12, punchintime, punchouttime },
});

describe('attendance overlap', () => {
  it('sends a second punch-in inside the same person’s night shift to review', () => {
    const night = shift('a', 4127, '2025-09-27T21:58:41+05:30', '2025-09-28T06:03:12+05:30');
    const second = shift('b', 4127, '2025-09-28T05:00:00+05:30', '2025-09-28T09:00:00+05:30');
    expect(findOverlaps([second], [night])).toEqual(new Map([['b', ['a']]]));
  });

  it('lets shifts that only touch, or belong to other people, pass', () => {
    const first = shift('a', 4127, '2025-09-28T00:00:00Z', '2025-09-28T08:00:00Z');
    const next = shift('b', 4127, '2025-09-28T13:30:00+05:30', '2025-09-28T20:00:00+05:30');
    const colleague = shift('c', 3301, '2025-09-28T01:00:00Z', '2025-09-28T07:00:00Z');
    expect(findOverlaps([next, colleague], [first])).toEqual(new Map());
  });

  it('counts a punch-in without punch-out as open for a whole shift', () => {
    const open = shift('a', 4127, '2025-09-28T08:00:00Z', null);
    const later = shift('b', 4127, '2025-09-29T07:00:00Z', '2025-09-29T09:00:00Z');
    expect(findOverlaps([later], [open])).toEqual(new Map([['b', ['a']]]));
    expect(punchInterval(open.data)!.end - punchInterval(open.data)!.start).toBe(24 * 3_600_000);
  });

  it('finds overlaps inside one batch, and uses the batch’s copy over the stored one', () => {
    const morning = shift('a', '4127', '2025-09-28T08:00:00Z', '2025-09-28T12:00:00Z');
    const noon = shift('b', 4127, '2025-09-28T11:00:00Z', '2025-09-28T15:00:00Z');
    const movedAway = shift('c', 4127, '2025-09-30T08:00:00Z', '2025-09-30T12:00:00Z');
    const storedC = shift('c', 4127, '2025-09-28T09:00:00Z', '2025-09-28T10:00:00Z');
    expect(findOverlaps([morning, noon, movedAway], [storedC])).toEqual(
      new Map([
        ['a', ['b']],
        ['b', ['a']],
      ]),
    );
  });

  it('ignores rows without a usable punch-in or with a punch-out before it', () => {
    expect(punchInterval({ punchintime: 'soon' })).toBeNull();
    expect(punchInterval({ punchintime: '2025-09-28T08:00:00Z', punchouttime: '2025-09-28T07:00:00Z' })).toBeNull();
  });

  it('looks at every punch-in day an overlapping row can have, whatever its offset (property)', () => {
    const base = Date.UTC(2025, 0, 1);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 365 * 24 * 60 }),
        fc.integer({ min: 1, max: 24 * 60 }),
        fc.integer({ min: -24 * 60 + 1, max: 24 * 60 - 1 }),
        fc.integer({ min: 1, max: 24 * 60 }),
        fc.integer({ min: -14 * 4, max: 14 * 4 }),
        (startMin, lengthMin, shiftMin, otherLengthMin, quarterHours) => {
          const a = { start: base + startMin * 60_000, end: base + (startMin + lengthMin) * 60_000 };
          const b = { start: a.start + shiftMin * 60_000, end: a.start + (shiftMin + otherLengthMin) * 60_000 };
          fc.pre(intervalsOverlap(a, b));
          const offsetMs = quarterHours * 15 * 60_000;
          const localDay = new Date(b.start + offsetMs).toISOString().slice(0, 10);
          const { from_day, to_day } = punchInDays(a);
          expect(localDay >= from_day && localDay <= to_day).toBe(true);
        },
      ),
    );
  });
});
