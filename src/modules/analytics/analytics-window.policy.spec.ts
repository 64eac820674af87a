import { alignedDays, alignedWindow, trailingWindow } from './analytics-window.policy';

describe(alignedWindow.name, () => {
  it('ends the hourly window at the last whole hour', () => {
    const window = alignedWindow(new Date('2026-03-01T10:42:17.123Z'), 1);
    expect(window).toEqual({ start: new Date('2026-03-01T09:00:00Z'), end: new Date('2026-03-01T10:00:00Z') });
  });

  it('gives two replicas a minute apart the same window', () => {
    expect(alignedWindow(new Date('2026-03-01T10:00:05Z'), 6)).toEqual(
      alignedWindow(new Date('2026-03-01T10:59:59Z'), 6),
    );
  });
});

describe(trailingWindow.name, () => {
  it('covers the hours before now', () => {
    const now = new Date('2026-03-01T10:42:00Z');
    expect(trailingWindow(now, 24).start).toEqual(new Date('2026-02-28T10:42:00Z'));
  });
});

describe(alignedDays.name, () => {
  it('ends the weekly period at midnight UTC', () => {
    expect(alignedDays(new Date('2026-03-01T00:00:30Z'), 7)).toEqual({
      start: new Date('2026-02-22T00:00:00Z'),
      end: new Date('2026-03-01T00:00:00Z'),
    });
  });
});
