import { RateLimiter } from './rate-limiter';

describe(RateLimiter.name, () => {
  it('allows the limit per minute and then asks to retry after the window', () => {
    const limiter = new RateLimiter(3);
    const start = 1_000_000;
    expect([1, 2, 3].map(() => limiter.take('key', start))).toEqual([0, 0, 0]);
    expect(limiter.take('key', start + 10_000)).toBe(50);
    expect(limiter.take('other', start + 10_000)).toBe(0);
    expect(limiter.take('key', start + 60_000)).toBe(0);
  });
});
