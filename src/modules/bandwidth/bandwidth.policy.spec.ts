import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { applyPatch } from 'rfc6902';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import {
  adaptiveBatchSizing,
  batchSize,
  calculateDelta,
  compressPayload,
  jsonBytes,
  jsonPatch,
  prioritizeItems,
} from './bandwidth.policy';

const OPTIONS = { thresholdBytes: 1024, minRatio: 0.8 };
const SIZES = { excellent: 100, good: 50, fair: 25, poor: 10 };

function printableAscii(length: number, seed = 42): string {
  let state = seed;
  let text = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    text += String.fromCharCode(32 + (state % 95));
  }
  return text;
}

const ticket = {
  mobile_id: '550e8400-e29b-41d4-a716-446655440000',
  version: 4,
  ticketno: 'T04812',
  ticketdesc: 'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
  status: 'OPEN',
  priority: 'HIGH',
  assignedtopeople: 3301,
  comments: 'Plumber called',
  escalation_level: 1,
  escalated_at: '2025-09-28T11:40:00+05:30',
  escalated_by: 'system',
};

describe('compressPayload', () => {
  it('compresses 50 repetitive items well under their original size when asked to always compress', () => {
    const items = Array.from({ length: 50 }, (_, id) => ({ id, data: 'x'.repeat(100) }));
    const result = compressPayload(items, 'always', OPTIONS);
    expect(result.compressed).toBe(true);
    expect(result.algorithm).toBe('gzip');
    expect(result.original_size).toBe(jsonBytes(items));
    expect(result.compressed_size).toBeLessThan(result.original_size * 0.2);
    expect(result.compression_ratio).toBeCloseTo(result.compressed_size / result.original_size, 3);
    expect(JSON.parse(gunzipSync(Buffer.from(result.data as string, 'base64')).toString('utf8'))).toEqual(items);
  });

  it('leaves a small record uncompressed under the adaptive level, ratio 1.0', () => {
    const data = { id: 1, name: 'test' };
    expect(compressPayload(data, 'adaptive', OPTIONS)).toEqual({
      compressed: false,
      algorithm: null,
      original_size: 22,
      compressed_size: 22,
      compression_ratio: 1,
      data,
    });
  });

  it('compresses a large repetitive payload under the adaptive level', () => {
    const data = { rows: Array.from({ length: 100 }, () => ticket) };
    expect(compressPayload(data, 'adaptive', OPTIONS)).toMatchObject({ compressed: true, algorithm: 'gzip' });
  });

  it('never compresses with the never level, however large the payload', () => {
    const data = { text: 'a'.repeat(100_000) };
    const result = compressPayload(data, 'never', OPTIONS);
    expect(result).toMatchObject({ compressed: false, algorithm: null, compression_ratio: 1 });
    expect(result.compressed_size).toBe(result.original_size);
    expect(result.data).toBe(data);
  });

  it('leaves 2 KB of random printable ASCII uncompressed even when asked to always compress (ratio > 0.8)', () => {
    const data = printableAscii(2048);
    const result = compressPayload(data, 'always', OPTIONS);
    expect(result.compressed).toBe(false);
    expect(result.compression_ratio).toBeGreaterThan(0.8);
    expect(result.compressed_size).toBe(result.original_size);
    expect(result.data).toBe(data);
  });

  it('measures sizes on compact UTF-8 JSON (multi-byte characters count as their bytes)', () => {
    expect(compressPayload({ name: 'Zoë ✓' }, 'never', OPTIONS).original_size).toBe(
      Buffer.byteLength('{"name":"Zoë ✓"}'),
    );
  });

  it('rejects an unknown compression level with a validation error', () => {
    expect(() => compressPayload({}, 'maximum', OPTIONS)).toThrow(AppException);
    try {
      compressPayload({}, 'maximum', OPTIONS);
    } catch (error) {
      expect((error as AppException).code).toBe(ErrorCode.ValidationFailed);
    }
  });
});

describe('calculateDelta', () => {
  it('reports only the status when a technician changes the status of a ticket', () => {
    const client = { ...ticket, status: 'INPROGRESS', version: 5 };
    const result = calculateDelta(ticket, client);
    expect(result).toEqual({
      mobile_id: ticket.mobile_id,
      version: 5,
      delta: { status: 'INPROGRESS' },
      fields_changed: 1,
      removed_fields: [],
      patch: [{ op: 'replace', path: '/status', value: 'INPROGRESS' }],
    });
    expect(jsonBytes(result.delta)).toBeLessThan(jsonBytes(client));
    expect(jsonBytes(result.patch)).toBeLessThan(jsonBytes(client));
  });

  it('never compares mobile_id and version', () => {
    const result = calculateDelta({ mobile_id: 'a', version: 1, x: 1 }, { mobile_id: 'b', version: 9, x: 1 });
    expect(result).toMatchObject({ mobile_id: 'b', version: 9, delta: {}, fields_changed: 0, patch: [] });
  });

  it('reports fields the client dropped as removed and fields it added as changed', () => {
    const result = calculateDelta({ a: 1, gone: 'x' }, { a: 1, added: true });
    expect(result.delta).toEqual({ added: true });
    expect(result.removed_fields).toEqual(['gone']);
    expect(result.fields_changed).toBe(2);
  });

  it('compares nested values deeply and puts the whole changed field in the delta', () => {
    const server = { other_data: { reply_from_vendor: 'Tubes 60% done', score: 0 }, approvers: ['3301'] };
    const client = { other_data: { reply_from_vendor: 'Tubes 90% done', score: 0 }, approvers: ['3301'] };
    const result = calculateDelta(server, client);
    expect(result.delta).toEqual({ other_data: client.other_data });
    expect(result.patch).toEqual([{ op: 'replace', path: '/other_data/reply_from_vendor', value: 'Tubes 90% done' }]);
  });

  it('rejects records that are not objects', () => {
    expect(() => calculateDelta([], {})).toThrow(AppException);
    expect(() => calculateDelta({}, null)).toThrow(AppException);
  });

  it('produces a patch that turns the server copy into the client copy (property)', () => {
    const record = fc.dictionary(
      fc.string().filter((key) => key !== 'mobile_id' && key !== 'version' && key !== '__proto__'),
      // JSON-Patch appliers refuse __proto__ anywhere (prototype pollution guard); records never carry it.
      fc.jsonValue().filter((value) => !JSON.stringify(value).includes('"__proto__"')),
    );
    fc.assert(
      fc.property(record, record, (server, client) => {
        const { patch } = calculateDelta(server, client);
        const copy = structuredClone(server);
        const errors = applyPatch(copy, patch);
        expect(errors.every((error) => error === null)).toBe(true);
        // Records travel as JSON, where -0 is 0.
        expect(JSON.parse(JSON.stringify(copy))).toEqual(JSON.parse(JSON.stringify(client)));
      }),
      { numRuns: 300 },
    );
  });

  it('does not mutate its inputs (property)', () => {
    fc.assert(
      fc.property(fc.object(), fc.object(), (server, client) => {
        const before = JSON.stringify([server, client]);
        calculateDelta(server, client);
        expect(JSON.stringify([server, client])).toBe(before);
      }),
    );
  });
});

describe('jsonPatch', () => {
  it('replaces the whole document when the types differ', () => {
    expect(jsonPatch({ a: 1 }, [1])).toEqual([{ op: 'replace', path: '', value: [1] }]);
  });

  it('diffs two records into RFC 6902 operations', () => {
    const ops = jsonPatch({ a: 1, list: [1, 2] }, { a: 2, list: [1, 2, 3] });
    const copy = { a: 1, list: [1, 2] };
    applyPatch(copy, ops);
    expect(copy).toEqual({ a: 2, list: [1, 2, 3] });
  });
});

describe('adaptiveBatchSizing', () => {
  const items = Array.from({ length: 100 }, (_, id) => ({ id }));

  it('sends 100 items as 10 batches of 10 on a poor network', () => {
    const result = adaptiveBatchSizing(items, 'poor', SIZES);
    expect(result.batch_size).toBe(10);
    expect(result.batches).toHaveLength(10);
    expect(result.batches.every((batch) => batch.length === 10)).toBe(true);
    expect(result.batches.flat()).toEqual(items);
  });

  it('sends 100 items in one batch on an excellent network', () => {
    const result = adaptiveBatchSizing(items, 'excellent', SIZES);
    expect(result).toEqual({ batch_size: 100, batches: [items] });
  });

  it('uses the fair size (25) for an unknown or missing network quality', () => {
    expect(adaptiveBatchSizing(items, 'satellite', SIZES).batch_size).toBe(25);
    expect(adaptiveBatchSizing(items, undefined, SIZES).batches).toHaveLength(4);
    expect(batchSize('GOOD', SIZES)).toBe(50);
  });

  it('gives the size of each batch when only a count is known', () => {
    expect(adaptiveBatchSizing(55, 'good', SIZES)).toEqual({ batch_size: 50, batches: [50, 5] });
    expect(adaptiveBatchSizing(0, 'good', SIZES)).toEqual({ batch_size: 50, batches: [] });
  });

  it('sizes a batch to finish in the target time on a measured slow link, never below the poor size', () => {
    // 1 KB items, 1,500 ms left after the round trip at 128 kbps: 23 items fit.
    expect(batchSize('excellent', SIZES, { rtt_ms: 500, throughput_kbps: 128, avgItemBytes: 1024 })).toBe(23);
    expect(batchSize('excellent', SIZES, { rtt_ms: 3000, throughput_kbps: 128, avgItemBytes: 1024 })).toBe(10);
  });

  it('never exceeds the excellent size on a fast measured link', () => {
    expect(batchSize('poor', SIZES, { rtt_ms: 20, throughput_kbps: 100_000 })).toBe(100);
  });

  it('measures the average item size from the items themselves', () => {
    const big = Array.from({ length: 60 }, (_, id) => ({ id, text: 'y'.repeat(4000) }));
    const small = Array.from({ length: 60 }, (_, id) => ({ id }));
    const conditions = { rtt_ms: 200, throughput_kbps: 1000 };
    expect(adaptiveBatchSizing(big, 'good', SIZES, conditions).batch_size).toBeLessThan(
      adaptiveBatchSizing(small, 'good', SIZES, conditions).batch_size,
    );
  });

  it('keeps every item exactly once, in order, within bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer()),
        fc.constantFrom('excellent', 'good', 'fair', 'poor', 'unknown'),
        fc.option(fc.double({ min: 1, max: 10_000, noNaN: true }), { nil: undefined }),
        fc.option(fc.double({ min: 1, max: 1_000_000, noNaN: true }), { nil: undefined }),
        (list, quality, rtt, kbps) => {
          const result = adaptiveBatchSizing(list, quality, SIZES, { rtt_ms: rtt, throughput_kbps: kbps });
          expect(result.batch_size).toBeGreaterThanOrEqual(10);
          expect(result.batch_size).toBeLessThanOrEqual(100);
          expect(result.batches.flat()).toEqual(list);
          expect(result.batches.every((batch) => batch.length > 0 && batch.length <= result.batch_size)).toBe(true);
        },
      ),
    );
  });
});

describe('prioritizeItems', () => {
  it('orders low, high, medium, high as the two highs, then medium, then low', () => {
    const items = [
      { id: 1, priority: 'low' },
      { id: 2, priority: 'high' },
      { id: 3, priority: 'medium' },
      { id: 4, priority: 'high' },
    ];
    expect(prioritizeItems(items).map((item) => item.id)).toEqual([2, 4, 3, 1]);
  });

  it('treats missing and unknown priorities as medium and reads HIGH/MEDIUM/LOW case-insensitively', () => {
    const items = [{ id: 1, priority: 'LOW' }, { id: 2 }, { id: 3, priority: 'urgent' }, { id: 4, priority: 'HIGH' }];
    expect(prioritizeItems(items).map((item) => item.id)).toEqual([4, 2, 3, 1]);
  });

  it('reads another field when asked', () => {
    const items = [
      { id: 1, level: 'low', priority: 'high' },
      { id: 2, level: 'high', priority: 'low' },
    ];
    expect(prioritizeItems(items, 'level').map((item) => item.id)).toEqual([2, 1]);
  });

  it('is a stable permutation sorted by priority (property)', () => {
    const rank: Record<string, number> = { high: 0, medium: 1, low: 2 };
    const item = fc.record(
      { priority: fc.constantFrom('high', 'medium', 'low', 'HIGH', 'Low', 'other', undefined) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(item), (raw) => {
        const items = raw.map((entry, id) => ({ ...entry, id }));
        const sorted = prioritizeItems(items);
        expect([...sorted].sort((a, b) => a.id - b.id)).toEqual(items);
        const rankOf = (entry: { priority?: string }) => rank[entry.priority?.toLowerCase() ?? ''] ?? 1;
        for (let i = 1; i < sorted.length; i++) {
          const previous = sorted[i - 1];
          const current = sorted[i];
          expect(rankOf(previous)).toBeLessThanOrEqual(rankOf(current));
          if (rankOf(previous) === rankOf(current)) expect(previous.id).toBeLessThan(current.id);
        }
      }),
    );
  });
});
