/** A record's data: a JSON object. */
export type RecordData = Record<string, unknown>;

/** Declarative steps from one schema version to the next; stored as JSON, never code. Top-level fields only. */
export type UpcastStep =
  | { op: 'rename'; from: string; to: string }
  | { op: 'set_default'; field: string; value: unknown }
  | { op: 'drop'; field: string }
  | { op: 'map_values'; field: string; values: Record<string, unknown> };

export const UPCAST_OPS = ['rename', 'set_default', 'drop', 'map_values'] as const;
export type UpcastOp = (typeof UPCAST_OPS)[number];

export { escapePointer, type PointerError } from '../../common/json-schema';

/** What the upcaster needs of one stored version. */
export interface VersionShape {
  version: number;
  /** Steps from version - 1 to this version (empty for version 1). */
  upcast: readonly UpcastStep[];
  /** Top-level properties the version's schema names; null when it names none (an open schema knows any field). */
  fields: ReadonlySet<string> | null;
}

/** A downcast step that could not restore the older shape exactly. */
export interface LossyStep {
  version: number;
  step: number;
  op: UpcastOp;
  field: string;
  reason: string;
}

/** The top-level properties a JSON schema names, or null when it names none. */
export function schemaFields(schema: unknown): Set<string> | null {
  if (schema === null || typeof schema !== 'object') return null;
  const properties = (schema as { properties?: unknown }).properties;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return null;
  const names = Object.keys(properties);
  return names.length === 0 ? null : new Set(names);
}

function has(data: RecordData, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(data, field);
}

/** Applies one version's steps in order to a copy of the data. */
export function applySteps(data: RecordData, steps: readonly UpcastStep[]): RecordData {
  const out: RecordData = { ...data };
  for (const step of steps) {
    switch (step.op) {
      case 'rename':
        if (has(out, step.from)) {
          out[step.to] = out[step.from];
          delete out[step.from];
        }
        break;
      case 'set_default':
        if (out[step.field] === undefined) out[step.field] = structuredClone(step.value);
        break;
      case 'drop':
        delete out[step.field];
        break;
      case 'map_values': {
        const value = out[step.field];
        if (typeof value === 'string' && has(step.values, value)) out[step.field] = structuredClone(step.values[value]);
        break;
      }
    }
  }
  return out;
}

function between(versions: readonly VersionShape[], from: number, to: number): VersionShape[] {
  return versions.filter((v) => v.version > from && v.version <= to).sort((a, b) => a.version - b.version);
}

/** The data of version `from` in the shape of version `to` (>= from): every step of the versions in between. */
export function upcast(data: RecordData, versions: readonly VersionShape[], from: number, to: number): RecordData {
  return between(versions, from, to).reduce((current, version) => applySteps(current, version.upcast), data);
}

/**
 * The fields a client of version `from` knows, named as in version `to`: its schema's properties plus whatever it
 * sent, carried through the renames and drops in between. Fields that set_default adds are not known to it.
 * null: the client's schema is open, so it may know any field.
 */
export function knownFields(
  versions: readonly VersionShape[],
  from: number,
  to: number,
  sent: Iterable<string>,
): Set<string> | null {
  const own = versions.find((v) => v.version === from)?.fields ?? null;
  if (own === null) return null;
  const known = new Set([...own, ...sent]);
  for (const version of between(versions, from, to)) {
    for (const step of version.upcast) {
      if (step.op === 'rename' && known.delete(step.from)) known.add(step.to);
      else if (step.op === 'drop') known.delete(step.field);
    }
  }
  return known;
}

/**
 * An old phone never wipes what it does not know: every field of the server copy outside `known` is taken from the
 * server (a default the upcast filled in included); fields the client knows stay as it sent them.
 */
export function keepUnknownFields(
  upcastData: RecordData,
  known: ReadonlySet<string> | null,
  server: RecordData | null,
): RecordData {
  if (known === null || server === null) return upcastData;
  const out: RecordData = { ...upcastData };
  for (const field of Object.keys(server)) {
    if (!known.has(field)) out[field] = server[field];
  }
  return out;
}

/**
 * The data of version `from` in the shape of an older version `to`, each version's steps undone in reverse:
 * renames go back exactly, fields a set_default added are removed when the older schema does not name them, and a
 * map_values is reversed where one older value maps to the current one. What cannot be undone is reported in `lossy` and left as it is: a dropped field
 * (its value is gone; it stays absent) and a many-to-one map_values (the original value is ambiguous).
 */
export function downcast(
  data: RecordData,
  versions: readonly VersionShape[],
  from: number,
  to: number,
): { data: RecordData; lossy: LossyStep[] } {
  const out: RecordData = { ...data };
  const lossy: LossyStep[] = [];
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  for (const version of between(versions, to, from).reverse()) {
    const older = byVersion.get(version.version - 1)?.fields ?? null;
    for (let index = version.upcast.length - 1; index >= 0; index--) {
      const step = version.upcast[index];
      const loss = (field: string, reason: string): void => {
        lossy.push({ version: version.version, step: index, op: step.op, field, reason });
      };
      switch (step.op) {
        case 'rename':
          if (has(out, step.to)) {
            out[step.from] = out[step.to];
            delete out[step.to];
          }
          break;
        case 'set_default':
          if (older !== null && !older.has(step.field)) delete out[step.field];
          break;
        case 'drop':
          loss(step.field, 'dropped in this version; the older value is not kept');
          break;
        case 'map_values': {
          const value = out[step.field];
          const sources = Object.keys(step.values).filter((source) => step.values[source] === value);
          if (sources.length === 1) out[step.field] = sources[0];
          else if (sources.length > 1) loss(step.field, `several older values map to ${JSON.stringify(value)}`);
          break;
        }
      }
    }
  }
  return { data: out, lossy };
}
