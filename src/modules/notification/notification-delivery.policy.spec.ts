import { retryDelayMs } from './notification-delivery.policy';

describe(retryDelayMs.name, () => {
  it('doubles from 10 s and stops at an hour', () => {
    expect([0, 1, 2, 3].map(retryDelayMs)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(30)).toBe(3_600_000);
  });
});
