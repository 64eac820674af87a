import { gzipSync } from 'node:zlib';
import { compare } from 'fast-json-patch';
import { NetworkQuality, Priority, PRIORITY_RANK } from '../../common/domain';
import { AppException } from '../../common/errors/app-exception';
import { GZIP_LEVEL } from '../../common/http/compression';

export const COMPRESSION_LEVELS = ['adaptive', 'always', 'never'] as const;
export type CompressionLevel = (typeof COMPRESSION_LEVELS)[number];

export interface CompressionOptions {
  /** Smallest compact-JSON size worth compressing (adaptive only). */
  thresholdBytes: number;
  /** Keep the compressed form only when compressed/original is below this. */
  minRatio: number;
}

export interface CompressedPayload {
  compressed: boolean;
  algorithm: 'gzip' | null;
  original_size: number;
  compressed_size: number;
  compression_ratio: number;
  /** Base64 of the gzip stream when compressed, else the data unchanged. */
  data: unknown;
}

/** Payload sizes are measured on compact JSON, UTF-8: what a client sends and what the wire carries. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

function roundRatio(ratio: number): number {
  return Math.round(ratio * 10000) / 10000;
}

export function compressPayload(data: unknown, level: string, options: CompressionOptions): CompressedPayload {
  if (!(COMPRESSION_LEVELS as readonly string[]).includes(level)) {
    throw AppException.validation(`compression_level must be one of ${COMPRESSION_LEVELS.join(', ')}`, [
      { field: 'compression_level', message: `unknown compression level "${level}"` },
    ]);
  }
  const json = Buffer.from(JSON.stringify(data) ?? 'null', 'utf8');
  const original = json.length;
  const uncompressed: CompressedPayload = {
    compressed: false,
    algorithm: null,
    original_size: original,
    compressed_size: original,
    compression_ratio: 1,
    data,
  };
  if (level === 'never' || (level === 'adaptive' && original < options.thresholdBytes)) return uncompressed;
  const gzipped = gzipSync(json, { level: GZIP_LEVEL });
  const ratio = gzipped.length / original;
  if (ratio >= options.minRatio) return { ...uncompressed, compression_ratio: roundRatio(ratio) };
  return {
    compressed: true,
    algorithm: 'gzip',
    original_size: original,
    compressed_size: gzipped.length,
    compression_ratio: roundRatio(ratio),
    data: gzipped.toString('base64'),
  };
}

export type JsonObject = Record<string, unknown>;

/** An RFC 6902 operation (fast-json-patch's own type also admits its private `_get`). */
export type PatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; path: string; from: string };

/** RFC 6902 operations from one object or array to another (fast-json-patch's diff; inputs are not mutated). */
function diff(from: JsonObject | unknown[], to: JsonObject | unknown[]): PatchOperation[] {
  // compare() only emits add, remove and replace.
  return compare(from, to) as PatchOperation[];
}

export interface RecordDelta {
  mobile_id: unknown;
  version: unknown;
  /** Top-level fields the client has with a different value than the server (or that the server lacks). */
  delta: JsonObject;
  /** Changed plus removed top-level fields. */
  fields_changed: number;
  /** Top-level fields the server has and the client dropped. */
  removed_fields: string[];
  /** RFC 6902 operations turning the server copy into the client copy. */
  patch: PatchOperation[];
}

/** Identity keys: never part of a delta. */
const DELTA_IGNORED_KEYS: readonly string[] = ['mobile_id', 'version'];

function withoutIgnoredKeys(record: JsonObject): JsonObject {
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(record)) if (!DELTA_IGNORED_KEYS.includes(key)) copy[key] = value;
  return copy;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function topLevelKey(path: string): string {
  const segment = path.split('/')[1] ?? '';
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** RFC 6902 operations turning any JSON value into another (a whole-document replace across types). */
export function jsonPatch(from: unknown, to: unknown): PatchOperation[] {
  if (isJsonObject(from) && isJsonObject(to)) return diff(from, to);
  if (Array.isArray(from) && Array.isArray(to)) return diff(from, to);
  return [{ op: 'replace', path: '', value: to }];
}

export function calculateDelta(server: unknown, client: unknown): RecordDelta {
  if (!isJsonObject(server) || !isJsonObject(client)) {
    throw AppException.validation('server_version and client_version must be JSON objects');
  }
  const patch = diff(withoutIgnoredKeys(server), withoutIgnoredKeys(client));
  const touched = new Set(patch.map((operation) => topLevelKey(operation.path)));
  const delta: JsonObject = {};
  const removed: string[] = [];
  for (const key of touched) {
    if (Object.prototype.hasOwnProperty.call(client, key)) delta[key] = client[key];
    else removed.push(key);
  }
  return {
    mobile_id: client.mobile_id ?? server.mobile_id ?? null,
    version: client.version ?? server.version ?? null,
    delta,
    fields_changed: touched.size,
    removed_fields: removed,
    patch,
  };
}

export interface NetworkConditions {
  /** Round-trip time the client measured, ms. */
  rtt_ms?: number;
  /** Throughput the client measured, kilobits per second. */
  throughput_kbps?: number;
  /** Average compact-JSON bytes of one item; measured from the items when they are given. */
  avgItemBytes?: number;
}

/** A batch should finish within this time on the client's measured network. */
const BATCH_TARGET_MS = 2000;
/** Assumed per quality when the client reports only one of rtt_ms / throughput_kbps. */
const NOMINAL_NETWORK: Record<NetworkQuality, { rtt_ms: number; throughput_kbps: number }> = {
  excellent: { rtt_ms: 50, throughput_kbps: 20000 },
  good: { rtt_ms: 150, throughput_kbps: 5000 },
  fair: { rtt_ms: 400, throughput_kbps: 1000 },
  poor: { rtt_ms: 1000, throughput_kbps: 250 },
};
const DEFAULT_ITEM_BYTES = 1024;

function normalizeQuality(quality: string | undefined | null): NetworkQuality | null {
  const value = quality?.trim().toLowerCase();
  return value && value in NOMINAL_NETWORK ? (value as NetworkQuality) : null;
}

/**
 * Items per batch: the configured size of the network quality (unknown: the `fair` size); with a measured rtt or
 * throughput, as many items as fit in BATCH_TARGET_MS, kept between the poor and excellent sizes.
 */
export function batchSize(
  quality: string | undefined | null,
  sizes: Record<NetworkQuality, number>,
  conditions: NetworkConditions = {},
): number {
  const known = normalizeQuality(quality);
  const base = sizes[known ?? 'fair'];
  if (conditions.rtt_ms === undefined && conditions.throughput_kbps === undefined) return base;
  const nominal = NOMINAL_NETWORK[known ?? 'fair'];
  const rtt = conditions.rtt_ms ?? nominal.rtt_ms;
  const kbps = conditions.throughput_kbps ?? nominal.throughput_kbps;
  const itemBits = Math.max(1, conditions.avgItemBytes ?? DEFAULT_ITEM_BYTES) * 8;
  // kbps = bits per ms, so (ms left after the round trip) × kbps = bits that fit.
  const fitting = Math.floor((Math.max(0, BATCH_TARGET_MS - rtt) * kbps) / itemBits);
  const lower = Math.min(sizes.poor, sizes.excellent);
  const upper = Math.max(sizes.poor, sizes.excellent);
  return Math.min(upper, Math.max(lower, fitting));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

export function adaptiveBatchSizing<T>(
  items: readonly T[],
  quality: string | undefined | null,
  sizes: Record<NetworkQuality, number>,
  conditions?: NetworkConditions,
): { batch_size: number; batches: T[][] };
export function adaptiveBatchSizing(
  items: number,
  quality: string | undefined | null,
  sizes: Record<NetworkQuality, number>,
  conditions?: NetworkConditions,
): { batch_size: number; batches: number[] };
/** Splits items (or a count of items, giving the size of each batch) into batches for the client's network. */
export function adaptiveBatchSizing<T>(
  items: readonly T[] | number,
  quality: string | undefined | null,
  sizes: Record<NetworkQuality, number>,
  conditions: NetworkConditions = {},
): { batch_size: number; batches: T[][] | number[] } {
  const measured =
    conditions.avgItemBytes === undefined && Array.isArray(items) && items.length > 0
      ? { ...conditions, avgItemBytes: items.reduce((sum: number, item) => sum + jsonBytes(item), 0) / items.length }
      : conditions;
  const size = batchSize(quality, sizes, measured);
  if (typeof items === 'number') {
    const count = Math.max(0, Math.floor(items));
    const batches: number[] = [];
    for (let left = count; left > 0; left -= size) batches.push(Math.min(size, left));
    return { batch_size: size, batches };
  }
  return { batch_size: size, batches: chunk(items, size) };
}

/** Rank of an item's priority: high 0, medium 1, low 2; missing or unknown values are medium. */
function priorityRankOf(item: unknown, field = 'priority'): number {
  const value = isJsonObject(item) ? item[field] : undefined;
  const key = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return Object.prototype.hasOwnProperty.call(PRIORITY_RANK, key)
    ? PRIORITY_RANK[key as Priority]
    : PRIORITY_RANK.medium;
}

/** Stable: high before medium before low, the original order kept within a priority. */
export function prioritizeItems<T>(items: readonly T[], field = 'priority'): T[] {
  return items
    .map((item, index) => ({ item, index, rank: priorityRankOf(item, field) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.item);
}
