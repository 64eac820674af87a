import { createRequire } from 'node:module';
import { join } from 'node:path';
import { deviceClient, seedRecords } from '../lib/seed';
import { startBareFastify } from '../lib/peer';
import { round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';

const CONNECTIONS = 32;

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
}) => Promise<AutocannonResult>;

async function blast(
  peerDir: string,
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<AutocannonResult> {
  const autocannon = createRequire(join(peerDir, 'package.json'))('autocannon') as Autocannon;
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result;
}

export const httpOverheadCase: BenchCase = {
  id: 'http',
  usesPeer: true,
  title: `6. HTTP overhead: GET queue-status at concurrency ${CONNECTIONS} vs a bare Fastify route`,
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const seconds = ctx.quick ? 5 : 20;
    const tenant = await ctx.app.createTenant('bench-http');
    const client = await deviceClient(ctx.app, tenant, 'tech-0', 'device-0');
    await seedRecords(client, 500, { mode: 'enqueue', tag: 'http' });
    client.close();
    const token = await ctx.app.token(tenant, 'tech-0', 'sync');
    const bare = await startBareFastify(ctx.dbUrl);
    try {
      // Warm both once, then measure the bare route first and ours second.
      await blast(ctx.peerDir, `${bare.url}/queue-status`, { 'x-tenant-id': tenant, 'x-device-id': 'device-0' }, 1);
      const floor = await blast(
        ctx.peerDir,
        `${bare.url}/queue-status`,
        { 'x-tenant-id': tenant, 'x-device-id': 'device-0' },
        seconds,
      );
      const headers = { authorization: `Bearer ${token}`, 'x-device-id': 'device-0' };
      await blast(ctx.peerDir, `${ctx.app.url}/api/v1/sync/queue-status`, headers, 1);
      const ours = await blast(ctx.peerDir, `${ctx.app.url}/api/v1/sync/queue-status`, headers, seconds);
      result.metrics.push(
        { name: 'floor: bare Fastify + pg, same COUNT query: req/s', value: Math.round(floor.requests.average) },
        { name: 'floor: latency p50 / p99', value: `${floor.latency.p50} / ${floor.latency.p99}`, unit: 'ms' },
        { name: 'ours: GET /api/v1/sync/queue-status: req/s', value: Math.round(ours.requests.average) },
        { name: 'ours: latency p50 / p99', value: `${ours.latency.p50} / ${ours.latency.p99}`, unit: 'ms' },
      );
      result.ratios.push({
        name: 'queue-status ours/bare Fastify (req/s)',
        value: round(ours.requests.average / floor.requests.average, 3),
      });
      result.notes.push(
        `autocannon ${CONNECTIONS} connections, ${seconds} s each, 500 pending items for the device. Ours also verifies a JWT ` +
          '(its tenant looked up once per replica), runs the guard, the rate limit and the metrics, and reads the per-item ' +
          'processing time of the estimate in the same statement at most every 10 s per tenant.',
      );
    } finally {
      await bare.stop();
    }
  },
};
