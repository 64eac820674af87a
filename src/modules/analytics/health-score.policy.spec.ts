import fc from 'fast-check';
import { healthScore } from './health-score.policy';

const NOW = new Date('2026-01-15T12:00:00Z');
const hoursAgo = (hours: number): Date => new Date(NOW.getTime() - hours * 3_600_000);

describe(healthScore.name, () => {
  it('scores a device with 100 syncs, 10 failed, 5 conflicts and a sync an hour ago at about 92.17', () => {
    const score = healthScore({ totalSyncs: 100, failedSyncs: 10, conflicts: 5, lastSyncAt: hoursAgo(1) }, NOW);
    expect(score).toBeCloseTo(92.1667, 3);
  });

  it('scores a perfect device that just synced at 100', () => {
    expect(healthScore({ totalSyncs: 40, failedSyncs: 0, conflicts: 0, lastSyncAt: NOW }, NOW)).toBe(100);
  });

  it('scores a device that never synced at 100', () => {
    expect(healthScore({ totalSyncs: 0, failedSyncs: 0, conflicts: 0, lastSyncAt: null }, NOW)).toBe(100);
  });

  it('scores a first sync that failed with a conflict at 20 (recency only)', () => {
    expect(healthScore({ totalSyncs: 1, failedSyncs: 1, conflicts: 1, lastSyncAt: NOW }, NOW)).toBe(20);
  });

  it('loses the recency points linearly over 24 hours', () => {
    const base = { totalSyncs: 10, failedSyncs: 0, conflicts: 0 };
    expect(healthScore({ ...base, lastSyncAt: hoursAgo(12) }, NOW)).toBeCloseTo(90, 6);
    expect(healthScore({ ...base, lastSyncAt: hoursAgo(24) }, NOW)).toBeCloseTo(80, 6);
    expect(healthScore({ ...base, lastSyncAt: hoursAgo(240) }, NOW)).toBeCloseTo(80, 6);
  });

  it('does not let more conflicts than syncs take points from the other terms', () => {
    expect(healthScore({ totalSyncs: 2, failedSyncs: 0, conflicts: 50, lastSyncAt: NOW }, NOW)).toBe(80);
  });

  it('always stays within 0..100', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: -48, max: 1_000 }),
        (totalSyncs, failedSyncs, conflicts, hours) => {
          const score = healthScore({ totalSyncs, failedSyncs, conflicts, lastSyncAt: hoursAgo(hours) }, NOW);
          return score >= 0 && score <= 100;
        },
      ),
    );
  });
});
