import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { openStream, SseClient } from '../../test/helpers/sse-client';
import { deviceClient } from '../lib/seed';
import { rssOf } from '../lib/rss';
import { nowMs, percentile, round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';
import { recordFor } from '../lib/workload';
import { supervisorsOfSite } from './push';

const IDLE_STREAMS = 2000;
const DEVICES = 8;
const BATCH = 20;
const RUNS = 3;

function median(values: number[]): number {
  return percentile(values, 50);
}

/** change_seq inside a feed cursor (base64url of "cs1:<seq>" or "cs2:<seq>:…"). */
function seqOf(cursor: string): number {
  return Number(Buffer.from(cursor, 'base64url').toString('utf8').split(':')[1]);
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function openIdleStreams(ctx: BenchContext, tokens: string[]): Promise<SseClient[]> {
  const streams: SseClient[] = [];
  for (let start = 0; start < IDLE_STREAMS; start += 200) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(200, IDLE_STREAMS - start) }, (_u, n) =>
        openStream(`${ctx.app.url}/api/v1/sync/changes/stream`, {
          authorization: `Bearer ${tokens[(start + n) % tokens.length]}`,
          'x-device-id': `idle-${start + n}`,
        }),
      ),
    );
    if (batch.some((stream) => stream.status !== 200)) throw new Error('an idle stream was refused');
    streams.push(...batch);
  }
  return streams;
}

/** 8 devices pushing batches of new records back to back for `seconds`; items/s. */
async function pushFor(ctx: BenchContext, tenant: string, seconds: number): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, (_u, n) => deviceClient(ctx.app, tenant, `tech-${n}`, `pusher-${n}`)),
  );
  let items = 0;
  const started = nowMs();
  const until = started + seconds * 1000;
  await Promise.all(
    clients.map(async (client, device) => {
      for (let batch = 0; nowMs() < until; batch++) {
        const body = {
          items: Array.from({ length: BATCH }, (_u, slot) => ({
            client_mutation_id: `${device}-${batch}-${slot}-${randomUUID().slice(0, 8)}`,
            domain: 'task',
            mobile_id: randomUUID(),
            base_version: 0,
            data: recordFor('task', batch * BATCH + slot),
          })),
        };
        const response = await client.send('POST', '/api/v1/sync/push', JSON.stringify(body));
        if (response.status !== 200) throw new Error(`push: HTTP ${response.status}`);
        items += BATCH;
      }
    }),
  );
  const rate = items / ((nowMs() - started) / 1000);
  for (const client of clients) client.close();
  return rate;
}

export const liveCase: BenchCase = {
  id: 'live',
  title: 'live changes: 2,000 idle streams, commit-to-event latency, push throughput with streams open',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const seconds = ctx.quick ? 6 : 15;
    const busy = await ctx.app.createTenant('live-busy');
    // The pushing devices and the watcher supervise the workload's site (every push passes the write checks, the
    // watcher reads every pushed task through the site key); the 2,000 idle streams are technicians of the same
    // tenant with no share in those records: per-key wake-ups leave them asleep.
    await supervisorsOfSite(ctx.app, busy, [...Array.from({ length: DEVICES }, (_u, n) => `tech-${n}`), 'watcher']);
    const idleTokens = await Promise.all(
      Array.from({ length: IDLE_STREAMS }, (_u, n) => ctx.app.token(busy, `idle-tech-${n}`, 'sync')),
    );
    const watcherToken = await ctx.app.token(busy, 'watcher', 'sync');

    // Commit times: a LISTEN session of our own hears each commit when it happens.
    const commits = new Map<number, number>();
    const listener = new Client({ connectionString: ctx.dbUrl });
    await listener.connect();
    listener.on('notification', (message) => {
      const payload = JSON.parse(message.payload ?? '{}') as { s?: string };
      if (payload.s) commits.set(Number(payload.s), nowMs());
    });
    await listener.query('LISTEN fieldsync_changes');

    const perStream: number[] = [];
    const heapPerStream: number[] = [];
    const without: number[] = [];
    const withStreams: number[] = [];
    const p95s: number[] = [];
    const loads: string[] = [];
    const orders: string[] = [];
    try {
      // Warm-up (JIT, caches) and a feed for the watcher's first page to catch up on.
      await pushFor(ctx, busy, ctx.quick ? 2 : 4);
      for (let run = 0; run < RUNS; run++) {
        // Memory first, on a quiet process: RSS and JS heap after a full collection, before and after the streams.
        await sleep(2000);
        const before = await ctx.app.gc();
        const rssBefore = rssOf(ctx.app.pid) ?? before.rss;
        let idle = await openIdleStreams(ctx, idleTokens);
        await sleep(1000);
        const after = await ctx.app.gc();
        perStream.push(((rssOf(ctx.app.pid) ?? after.rss) - rssBefore) / IDLE_STREAMS / 1024);
        heapPerStream.push((after.heapUsed + after.external - before.heapUsed - before.external) / IDLE_STREAMS / 1024);

        // The watcher is subscribed in both phases: the phases differ only by the 2,000 idle streams.
        const watcher = await openStream(`${ctx.app.url}/api/v1/sync/changes/stream?limit=1000`, {
          authorization: `Bearer ${watcherToken}`,
          'x-device-id': 'watcher',
        });
        await watcher.waitFor((event) => event.event === 'changes' && !event.data.has_more, 120_000);
        // Alternate which phase goes first, so neither always pays for a warmer or colder process.
        const order = run % 2 === 0 ? [true, false] : [false, true];
        orders.push(order.map((open) => (open ? 'with' : 'without')).join(' → '));
        for (const withIdle of order) {
          if (!withIdle && idle.length > 0) {
            for (const stream of idle) stream.close();
            idle = [];
            await sleep(1000);
          } else if (withIdle && idle.length === 0) {
            idle = await openIdleStreams(ctx, idleTokens);
            await sleep(1000);
          }
          watcher.events.splice(0);
          commits.clear();
          const rate = await pushFor(ctx, busy, seconds);
          await sleep(500);
          if (!withIdle) {
            without.push(rate);
            continue;
          }
          withStreams.push(rate);
          const latencies: number[] = [];
          let seenSeq = 0;
          for (const event of watcher.events.splice(0)) {
            if (event.event !== 'changes') continue;
            const seq = seqOf(event.id!);
            for (const [commitSeq, committedAt] of commits) {
              if (commitSeq > seenSeq && commitSeq <= seq) latencies.push(event.at - committedAt);
            }
            seenSeq = Math.max(seenSeq, seq);
          }
          p95s.push(percentile(latencies, 95));
          ctx.log(`live run ${run + 1}: p95 ${round(p95s[run], 1)} ms over ${latencies.length} commits`);
        }
        loads.push(loadavg()[0].toFixed(2));
        watcher.close();
        for (const stream of idle) stream.close();
        ctx.log(
          `live run ${run + 1} (${orders[run]}): RSS ${round(perStream[run], 1)} / heap ${round(heapPerStream[run], 1)} KB per stream, ` +
            `push with streams ${round(withStreams[run], 0)}, without ${round(without[run], 0)} items/s`,
        );
      }
    } finally {
      await listener.end();
    }
    const kb = median(perStream);
    const p95 = median(p95s);
    const ratio = median(withStreams) / median(without);
    result.metrics.push(
      { name: 'memory per idle stream (RSS delta / 2000)', value: round(kb, 1), unit: 'KB' },
      { name: 'JS heap + external per idle stream', value: round(median(heapPerStream), 1), unit: 'KB' },
      { name: 'commit-to-event p95 at a subscribed client, 8 devices pushing', value: round(p95, 1), unit: 'ms' },
      { name: 'push without idle streams', value: round(median(without), 0), unit: 'items/s' },
      { name: 'push with 2,000 idle streams open', value: round(median(withStreams), 0), unit: 'items/s' },
    );
    result.ratios.push(
      { name: 'KB per idle stream (target < 50)', value: round(kb, 1), max: 50 },
      { name: 'p95 ms (target < 250)', value: round(p95, 1), max: 250 },
      { name: 'push throughput with / without streams (target >= 0.9)', value: round(ratio, 2), min: 0.9 },
    );
    result.notes.push(
      `medians of ${RUNS} runs (per run: RSS ${perStream.map((v) => round(v, 1)).join(' / ')} KB, JS heap + ` +
        `external ${heapPerStream.map((v) => round(v, 1)).join(' / ')} KB per stream, ` +
        `p95 ${p95s.map((v) => round(v, 1)).join(' / ')} ms, push ${without.map((v) => round(v, 0)).join(' / ')} ` +
        `without vs ${withStreams.map((v) => round(v, 0)).join(' / ')} items/s with; phase order ${orders.join(', ')}); ` +
        `1-min load after each run ${loads.join(' / ')}`,
      `the idle streams are ${IDLE_STREAMS} technicians of the pushing tenant (identity encoding) whose scope keys ` +
        `no push touches; one watcher (a supervisor of the site) is subscribed in both phases; ${DEVICES} devices × ` +
        `batches of ${BATCH} new records for ${seconds} s`,
      'commit time = when a LISTEN session in the bench process hears the commit; every commit of a page counts',
    );
  },
};
