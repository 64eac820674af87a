import { RateLimiter } from './rate-limiter';

describe(RateLimiter.name, () => {
  it('allows the limit per minute and then asks to retry after the window', () => {
    const limiter = new RateLimiter();
    const start = 1_000_000;
    expect([1, 2, 3].map(() => limiter.take('key', 3, start))).toEqual([0, 0, 0]);
    expect(limiter.take('key', 3, start + 10_000)).toBe(50);
    expect(limiter.take('other', 3, start + 10_000)).toBe(0);
    expect(limiter.take('key', 3, start + 60_000)).toBe(0);
  });

  it('peeks without counting: blocked once the limit is used, free again in the next window', () => {
    const limiter = new RateLimiter();
    const start = 2_000_000;
    expect(limiter.peek('address', 2, start)).toBe(0);
    limiter.take('address', 2, start);
    expect(limiter.peek('address', 2, start + 1_000)).toBe(0);
    limiter.take('address', 2, start + 1_000);
    expect(limiter.peek('address', 2, start + 30_000)).toBe(30);
    expect(limiter.peek('address', 2, start + 30_000)).toBe(30);
    expect(limiter.peek('address', 2, start + 60_000)).toBe(0);
  });
});
