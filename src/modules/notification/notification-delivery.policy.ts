import { HOUR_MS } from '../../common/time/instant';

/** Exponential backoff of webhook retries: 10 s × 2^attempts, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts), HOUR_MS);
}
