import { escapePointer, PointerError, UPCAST_OPS, UpcastOp, UpcastStep } from './upcast.policy';

/** The body of `PUT /api/v1/schemas/{domain}` (and the file of `schema:set`), checked. */
export interface PutSchemaRequest {
  version: number;
  json_schema: Record<string, unknown>;
  upcast: UpcastStep[];
}

export const MAX_VERSION = 2_147_483_647;
export const MAX_STEPS = 200;
export const MAX_SCHEMA_BYTES = 131_072;
const FIELD_MAX_LENGTH = 128;

const STEP_KEYS: Record<UpcastOp, readonly string[]> = {
  rename: ['op', 'from', 'to'],
  set_default: ['op', 'field', 'value'],
  drop: ['op', 'field'],
  map_values: ['op', 'field', 'values'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fieldName(step: Record<string, unknown>, key: string, at: string, errors: PointerError[]): string {
  const value = step[key];
  if (typeof value !== 'string' || value.length < 1 || value.length > FIELD_MAX_LENGTH) {
    errors.push({ pointer: `${at}/${key}`, message: `must be a field name of 1..${FIELD_MAX_LENGTH} characters` });
    return '';
  }
  return value;
}

function parseStep(raw: unknown, at: string, errors: PointerError[]): UpcastStep | null {
  if (!isObject(raw)) {
    errors.push({ pointer: at, message: 'must be an object' });
    return null;
  }
  const op = raw.op as UpcastOp;
  if (!UPCAST_OPS.includes(op)) {
    errors.push({ pointer: `${at}/op`, message: `must be one of ${UPCAST_OPS.join(', ')}` });
    return null;
  }
  const before = errors.length;
  for (const key of Object.keys(raw)) {
    if (!STEP_KEYS[op].includes(key))
      errors.push({ pointer: `${at}/${escapePointer(key)}`, message: 'is not allowed' });
  }
  let step: UpcastStep;
  switch (op) {
    case 'rename': {
      const from = fieldName(raw, 'from', at, errors);
      const to = fieldName(raw, 'to', at, errors);
      if (from !== '' && from === to) errors.push({ pointer: `${at}/to`, message: 'must differ from "from"' });
      step = { op, from, to };
      break;
    }
    case 'set_default':
      if (raw.value === undefined) errors.push({ pointer: `${at}/value`, message: 'is required' });
      step = { op, field: fieldName(raw, 'field', at, errors), value: raw.value };
      break;
    case 'drop':
      step = { op, field: fieldName(raw, 'field', at, errors) };
      break;
    case 'map_values':
      if (!isObject(raw.values) || Object.keys(raw.values).length === 0) {
        errors.push({ pointer: `${at}/values`, message: 'must be a non-empty object of old value → new value' });
      }
      step = { op, field: fieldName(raw, 'field', at, errors), values: isObject(raw.values) ? raw.values : {} };
      break;
  }
  return errors.length === before ? step : null;
}

/** Checks the shape of the request; every failure names its JSON pointer. */
export function parsePutSchemaRequest(body: unknown): { value: PutSchemaRequest } | { errors: PointerError[] } {
  if (!isObject(body)) return { errors: [{ pointer: '', message: 'must be an object' }] };
  const errors: PointerError[] = [];
  for (const key of Object.keys(body)) {
    if (!['version', 'json_schema', 'upcast'].includes(key)) {
      errors.push({ pointer: `/${escapePointer(key)}`, message: 'is not allowed' });
    }
  }
  const { version, json_schema: jsonSchema, upcast = [] } = body;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    errors.push({ pointer: '/version', message: `must be a whole number from 1 to ${MAX_VERSION}` });
  }
  if (!isObject(jsonSchema)) {
    errors.push({ pointer: '/json_schema', message: 'must be a JSON Schema object' });
  } else if (JSON.stringify(jsonSchema).length > MAX_SCHEMA_BYTES) {
    errors.push({ pointer: '/json_schema', message: `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON` });
  }
  const steps: UpcastStep[] = [];
  if (!Array.isArray(upcast) || upcast.length > MAX_STEPS) {
    errors.push({ pointer: '/upcast', message: `must be an array of at most ${MAX_STEPS} steps` });
  } else {
    upcast.forEach((raw: unknown, index) => {
      const step = parseStep(raw, `/upcast/${index}`, errors);
      if (step) steps.push(step);
    });
    if (version === 1 && upcast.length > 0) {
      errors.push({ pointer: '/upcast', message: 'must be empty for version 1 (there is no previous version)' });
    }
  }
  if (errors.length > 0) return { errors };
  return { value: { version: version as number, json_schema: jsonSchema as Record<string, unknown>, upcast: steps } };
}

/**
 * Follows the field names through the steps, from the previous version's properties to the new version's, and
 * names every step that refers to a field that is not there (a typo would otherwise silently do nothing).
 * A null field set is an open schema: anything goes.
 */
export function checkStepFields(
  steps: readonly UpcastStep[],
  previous: ReadonlySet<string> | null,
  next: ReadonlySet<string> | null,
): PointerError[] {
  const errors: PointerError[] = [];
  const names = previous === null ? null : new Set(previous);
  const present = (field: string, pointer: string): void => {
    if (names !== null && !names.has(field)) {
      errors.push({ pointer, message: `"${field}" is not a field at this point (previous version or earlier steps)` });
    }
  };
  /** Names a rename or set_default brings in, with where: they must end up as properties of the new schema. */
  const added = new Map<string, string>();
  steps.forEach((step, index) => {
    const at = `/upcast/${index}`;
    switch (step.op) {
      case 'rename':
        present(step.from, `${at}/from`);
        if (names?.has(step.to)) errors.push({ pointer: `${at}/to`, message: `"${step.to}" is already a field` });
        names?.delete(step.from);
        added.delete(step.from);
        names?.add(step.to);
        added.set(step.to, `${at}/to`);
        break;
      case 'set_default':
        names?.add(step.field);
        added.set(step.field, `${at}/field`);
        break;
      case 'drop':
        present(step.field, `${at}/field`);
        names?.delete(step.field);
        added.delete(step.field);
        break;
      case 'map_values':
        present(step.field, `${at}/field`);
        break;
    }
  });
  for (const [field, pointer] of added) {
    if (next !== null && !next.has(field)) {
      errors.push({ pointer, message: `"${field}" is not a property of the new json_schema` });
    }
  }
  return errors;
}
