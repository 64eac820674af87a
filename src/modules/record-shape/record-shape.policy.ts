import type { DomainShapes } from './record-shape.catalog';
import { downcast, keepUnknownFields, knownFields, LossyStep, PointerError, RecordData, upcast } from './upcast.policy';

export type ShapeErrorCode = 'SCHEMA_INVALID' | 'SCHEMA_VERSION_UNKNOWN';

/** A per-item rejection: `details` point into the push item (`/data/...`, `/schema_version`). */
export interface ShapeError {
  code: ShapeErrorCode;
  message: string;
  details: PointerError[];
}

/** One pushed record, with the server's current copy (null for a new record). */
export interface ShapeInput {
  /** The caller's handle for the item (queue item id, client_mutation_id). */
  key: string;
  domain: string;
  /** The schema version the device wrote; missing: the current one. */
  schema_version?: number | null;
  data: RecordData;
  deleted?: boolean;
  server: RecordData | null;
}

export interface Rejected {
  key: string;
  ok: false;
  error: ShapeError;
}

export type ShapeOutcome =
  | {
      key: string;
      ok: true;
      /** The record in the current version's shape, fields the device does not know taken from the server. */
      data: RecordData;
      /** The current version (null: the tenant has no schema for the domain; the data is untouched). */
      schema_version: number | null;
      /** The device's version when the item was upcast, else null. */
      upcast_from: number | null;
    }
  | Rejected;

function reject(key: string, code: ShapeErrorCode, details: PointerError[]): Rejected {
  const first = details[0];
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return { key, ok: false, error: { code, message: `${first.pointer} ${first.message}${more}`, details } };
}

/**
 * Brings one pushed record to the current schema version: upcast from the device's version, fields it does not
 * know kept from the server copy, then validated (`validate` is the current version's compiled schema).
 * Tombstones are not validated.
 */
export function shapeItem(
  shapes: DomainShapes | undefined,
  item: ShapeInput,
  validate: (data: RecordData) => PointerError[],
): ShapeOutcome {
  if (!shapes) return { key: item.key, ok: true, data: item.data, schema_version: null, upcast_from: null };
  const current = shapes.current.version;
  const from = item.schema_version ?? current;
  if (!shapes.versions.some((v) => v.version === from)) {
    return reject(item.key, 'SCHEMA_VERSION_UNKNOWN', [
      { pointer: '/schema_version', message: `${from} is not a version of ${item.domain} (current: ${current})` },
    ]);
  }
  const upcastFrom = from < current ? from : null;
  if (item.deleted)
    return { key: item.key, ok: true, data: item.data, schema_version: current, upcast_from: upcastFrom };
  const upcastData = upcast(item.data, shapes.versions, from, current);
  const known = knownFields(shapes.versions, from, current, Object.keys(item.data));
  const data = keepUnknownFields(upcastData, known, item.server);
  const errors = validate(data);
  if (errors.length > 0) {
    return reject(
      item.key,
      'SCHEMA_INVALID',
      errors.map((error) => ({ pointer: `/data${error.pointer}`, message: error.message })),
    );
  }
  return { key: item.key, ok: true, data, schema_version: current, upcast_from: upcastFrom };
}

/** A stored record (current shape) for a device that asked for an older version. */
export interface DowncastInput {
  key: string;
  domain: string;
  data: RecordData;
  /** The version the device wants. */
  schema_version: number;
}

export type DowncastOutcome =
  { key: string; ok: true; data: RecordData; schema_version: number | null; lossy: LossyStep[] } | Rejected;

/** Stored data in the shape of the version a device asked for (unchanged when it asks for the current one). */
export function downcastItem(shapes: DomainShapes | undefined, item: DowncastInput): DowncastOutcome {
  if (!shapes) return { key: item.key, ok: true, data: item.data, schema_version: null, lossy: [] };
  const current = shapes.current.version;
  if (!shapes.versions.some((v) => v.version === item.schema_version)) {
    return reject(item.key, 'SCHEMA_VERSION_UNKNOWN', [
      { pointer: '/schema_version', message: `${item.schema_version} is not a version of ${item.domain}` },
    ]);
  }
  const result = downcast(item.data, shapes.versions, current, item.schema_version);
  return { key: item.key, ok: true, data: result.data, schema_version: item.schema_version, lossy: result.lossy };
}
