import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { compare } from 'fast-json-patch';
import { nowMs, round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';
import { Domain, editOf, recordFor } from '../lib/workload';

const POLICY = join(__dirname, '..', '..', 'src', 'modules', 'bandwidth', 'bandwidth.policy.ts');

type Encoder = (input: Buffer) => Buffer;

/** Output bytes and MB/s of one encoder over many payloads (repeated until at least 300 ms of work). */
function measure(payloads: Buffer[], encode: Encoder): { bytes: number; mbPerSec: number } {
  let bytes = 0;
  let input = 0;
  let rounds = 0;
  const started = nowMs();
  do {
    for (const payload of payloads) {
      const out = encode(payload);
      if (rounds === 0) bytes += out.length;
      input += payload.length;
    }
    rounds += 1;
  } while (nowMs() - started < 300);
  return { bytes, mbPerSec: input / 1024 / 1024 / ((nowMs() - started) / 1000) };
}

function pages(domain: Domain, perPage: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_u, page) =>
    Buffer.from(
      JSON.stringify({ changes: Array.from({ length: perPage }, (_v, i) => recordFor(domain, page * perPage + i)) }),
    ),
  );
}

export const compressionCase: BenchCase = {
  id: 'compression',
  title: '5. Compression and delta on realistic payloads',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const gzip6: Encoder = (b) => gzipSync(b, { level: 6 });
    const brotli5: Encoder = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
    const sets: Array<[string, Buffer[]]> = [
      ['one task (~0.8 KB)', pages('task', 1, 200)],
      ['pull page of 100 tasks', pages('task', 100, 10)],
      ['pull page of 100 tickets', pages('ticket', 100, 10)],
      ['pull page of 100 work orders', pages('work_order', 100, 10)],
    ];
    for (const [label, payloads] of sets) {
      const raw = payloads.reduce((sum, p) => sum + p.length, 0);
      const gz = measure(payloads, gzip6);
      const br = measure(payloads, brotli5);
      result.metrics.push(
        { name: `${label}: raw bytes`, value: raw },
        { name: `${label}: gzip-6 ratio / MB/s`, value: `${round(gz.bytes / raw, 3)} / ${round(gz.mbPerSec, 1)}` },
        { name: `${label}: brotli-5 ratio / MB/s`, value: `${round(br.bytes / raw, 3)} / ${round(br.mbPerSec, 1)}` },
      );
    }
    for (const domain of ['task', 'ticket', 'work_order'] as const) {
      let full = 0;
      let patchBytes = 0;
      let fieldsBytes = 0;
      for (let n = 0; n < 200; n++) {
        const before = recordFor(domain, n);
        const after = editOf(domain, before, n);
        full += JSON.stringify(after).length;
        const patch = compare(before, after);
        patchBytes += JSON.stringify(patch).length;
        fieldsBytes += JSON.stringify(
          Object.fromEntries(Object.entries(after).filter(([k, v]) => JSON.stringify(before[k]) !== JSON.stringify(v))),
        ).length;
      }
      result.metrics.push(
        { name: `${domain} edit: full record bytes per edit`, value: Math.round(full / 200), unit: 'B' },
        {
          name: `${domain} edit: RFC 6902 patch bytes saved per edit`,
          value: Math.round((full - patchBytes) / 200),
          unit: 'B',
        },
        {
          name: `${domain} edit: changed-fields delta bytes saved per edit`,
          value: Math.round((full - fieldsBytes) / 200),
          unit: 'B',
        },
      );
    }
    if (!existsSync(POLICY)) {
      result.status = 'skipped';
      result.notes.unshift(
        'skipped: module not present (src/modules/bandwidth/bandwidth.policy.ts); baselines above still measured',
      );
      return;
    }
    const policy = (await import(POLICY)) as Record<string, unknown>;
    const compressPayload = policy.compressPayload as
      ((data: unknown, level: string, options: { thresholdBytes: number; minRatio: number }) => unknown) | undefined;
    if (typeof compressPayload !== 'function') {
      result.status = 'skipped';
      result.notes.unshift('skipped: bandwidth.policy.ts has no compressPayload export');
      return;
    }
    for (const [label, payloads] of sets) {
      const raw = payloads.reduce((sum, p) => sum + p.length, 0);
      const objects = payloads.map((p) => JSON.parse(p.toString('utf8')) as unknown);
      let bytes = 0;
      const started = nowMs();
      for (const object of objects) {
        // The service defaults: COMPRESSION_THRESHOLD_BYTES 1024, MIN_COMPRESSION_RATIO 0.8.
        const out = compressPayload(object, 'adaptive', { thresholdBytes: 1024, minRatio: 0.8 }) as {
          compressed_size?: number;
          compressedSize?: number;
        };
        bytes += out.compressed_size ?? out.compressedSize ?? 0;
      }
      const mbPerSec = raw / 1024 / 1024 / ((nowMs() - started) / 1000);
      const gz = measure(payloads, gzip6);
      result.metrics.push({
        name: `${label}: ours adaptive ratio / MB/s`,
        value: `${round(bytes / raw, 3)} / ${round(mbPerSec, 1)}`,
      });
      result.ratios.push({ name: `${label}: adaptive bytes / gzip-6 bytes`, value: round(bytes / gz.bytes, 3) });
    }
    ctx.log('compression: adaptive policy measured');
  },
};
