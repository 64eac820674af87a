import { Pool } from 'pg';
import { HttpClient } from '../lib/http';
import { deviceClient, seedRecords } from '../lib/seed';
import { mb, nowMs, round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';

const PAGE = 500;

interface PullPage {
  changes: Array<{ mobile_id: string; version: number; data?: unknown; patch?: unknown[] }>;
  next_cursor: string | null;
  has_more: boolean;
}

interface FeedRun {
  records: number;
  seconds: number;
  wireBytes: number;
  encodings: Set<string>;
  patches: number;
  pageIds: string[][];
}

/** Walks the whole feed, page after page, as one device catching up. */
async function walkFeed(
  client: HttpClient,
  options: { acceptEncoding?: string; known?: string[][] } = {},
): Promise<FeedRun> {
  const run: FeedRun = { records: 0, seconds: 0, wireBytes: 0, encodings: new Set(), patches: 0, pageIds: [] };
  const headers: Record<string, string> = options.acceptEncoding ? { 'accept-encoding': options.acceptEncoding } : {};
  let cursor: string | null = null;
  const started = nowMs();
  for (let page = 0; ; page++) {
    const response = options.known
      ? await client.send(
          'POST',
          '/api/v1/sync/pull',
          JSON.stringify({
            ...(cursor ? { cursor } : {}),
            limit: PAGE,
            delta: true,
            known_versions: Object.fromEntries((options.known[page] ?? []).map((id) => [id, 1])),
          }),
          headers,
        )
      : await client.send(
          'GET',
          `/api/v1/sync/pull?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          headers,
        );
    if (response.status !== 200)
      throw new Error(`pull: HTTP ${response.status} ${response.body.toString().slice(0, 300)}`);
    run.wireBytes += response.body.length;
    const encoding = String(response.headers['content-encoding'] ?? 'identity');
    run.encodings.add(encoding);
    const body = await decode(response.body, encoding);
    const parsed = JSON.parse(body) as PullPage;
    run.records += parsed.changes.length;
    run.patches += parsed.changes.filter((change) => change.patch !== undefined).length;
    run.pageIds.push(parsed.changes.map((change) => change.mobile_id));
    cursor = parsed.next_cursor;
    if (!parsed.has_more) break;
  }
  run.seconds = (nowMs() - started) / 1000;
  return run;
}

async function decode(body: Buffer, encoding: string): Promise<string> {
  const zlib = await import('node:zlib');
  if (encoding === 'gzip') return zlib.gunzipSync(body).toString('utf8');
  if (encoding === 'br') return zlib.brotliDecompressSync(body).toString('utf8');
  if (encoding === 'deflate') return zlib.inflateSync(body).toString('utf8');
  return body.toString('utf8');
}

/** Floor: the same keyset pages straight from SQL, rows decoded by pg, no HTTP. */
async function floorFeed(dbUrl: string, tenantId: string): Promise<{ records: number; seconds: number }> {
  const pool = new Pool({ connectionString: dbUrl, max: 1 });
  try {
    let after = '0';
    let records = 0;
    const started = nowMs();
    for (;;) {
      const { rows } = await pool.query<{ change_seq: string }>(
        `SELECT domain, mobile_id, version, deleted, data, updated_at, change_seq FROM sync_record
         WHERE tenant_id = $1 AND change_seq > $2 ORDER BY change_seq LIMIT $3`,
        [tenantId, after, PAGE + 1],
      );
      const page = rows.slice(0, PAGE);
      records += page.length;
      if (rows.length <= PAGE) break;
      after = page[page.length - 1].change_seq;
    }
    return { records, seconds: (nowMs() - started) / 1000 };
  } finally {
    await pool.end();
  }
}

export const pullCase: BenchCase = {
  id: 'pull',
  title: '2. Pull: full feed in pages of 500 (records/s, bytes on the wire)',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const total = ctx.quick ? 5_000 : 100_000;
    const tenant = await ctx.app.createTenant('bench-pull');
    const writer = await deviceClient(ctx.app, tenant, 'writer', 'writer-device');
    ctx.log(`pull: seeding ${total} records (each edited once: version 2, version 1 in history)`);
    await seedRecords(writer, total, { edit: true, tag: 'pull' });
    writer.close();
    const reader = await deviceClient(ctx.app, tenant, 'reader', 'reader-device');
    try {
      const floor = await floorFeed(ctx.dbUrl, tenant);
      const plain = await walkFeed(reader);
      const gzip = await walkFeed(reader, { acceptEncoding: 'gzip' });
      const br = await walkFeed(reader, { acceptEncoding: 'br, gzip' });
      const delta = await walkFeed(reader, { known: plain.pageIds });
      const deltaGzip = await walkFeed(reader, { acceptEncoding: 'gzip', known: plain.pageIds });
      if (plain.records !== total)
        result.notes.push(`WARNING: the feed returned ${plain.records} records, expected ${total}`);
      const perSec = (run: { records: number; seconds: number }): number => Math.round(run.records / run.seconds);
      result.metrics.push(
        { name: 'floor (bare SQL keyset pages): records/s', value: perSec(floor) },
        { name: 'ours GET pull, identity: records/s', value: perSec(plain) },
        { name: 'ours GET pull, identity: bytes on the wire', value: mb(plain.wireBytes), unit: 'MB' },
        {
          name: 'ours GET pull, identity: bytes per record',
          value: Math.round(plain.wireBytes / plain.records),
          unit: 'B',
        },
      );
      const variants: Array<[string, FeedRun]> = [
        ['Accept-Encoding: gzip', gzip],
        ['Accept-Encoding: br, gzip', br],
        ['POST pull delta:true (known v1)', delta],
        ['POST pull delta:true + gzip', deltaGzip],
      ];
      for (const [label, run] of variants) {
        result.metrics.push(
          { name: `ours ${label}: records/s`, value: perSec(run) },
          { name: `ours ${label}: bytes on the wire`, value: mb(run.wireBytes), unit: 'MB' },
          { name: `ours ${label}: content-encoding seen`, value: [...run.encodings].join(', ') },
        );
      }
      result.metrics.push({
        name: 'ours delta pull: changes sent as patches',
        value: `${delta.patches} / ${delta.records}`,
      });
      result.ratios.push({ name: 'pull ours/floor (records/s)', value: round(perSec(plain) / perSec(floor), 3) });
      if (gzip.encodings.has('gzip') || br.encodings.has('br')) {
        result.ratios.push(
          { name: 'pull wire bytes gzip/identity', value: round(gzip.wireBytes / plain.wireBytes, 3) },
          { name: 'pull wire bytes br/identity', value: round(br.wireBytes / plain.wireBytes, 3) },
        );
      } else {
        result.notes.push(
          'compression: not measured, the server answered identity (response compression not merged yet)',
        );
      }
      if (delta.patches > 0) {
        result.ratios.push(
          { name: 'pull wire bytes delta/full', value: round(delta.wireBytes / plain.wireBytes, 3) },
          { name: 'pull wire bytes delta+gzip/full', value: round(deltaGzip.wireBytes / plain.wireBytes, 3) },
        );
      } else {
        result.notes.push(
          'delta: not measured, the server sent full records to POST pull {delta:true} (delta pull not merged yet)',
        );
      }
      result.notes.push(
        `${total} records (half tasks, a quarter tickets, a quarter work orders), one reader device, pages of ${PAGE}.`,
      );
    } finally {
      reader.close();
    }
  },
};
