import { checkJson, FromSchema, JsonSchema, PointerError, Refinement } from '../../common/json-schema';
import type { UpcastStep } from './upcast.policy';

export const MAX_VERSION = 2_147_483_647;
export const MAX_STEPS = 200;
export const MAX_SCHEMA_BYTES = 131_072;
const FIELD_MAX_LENGTH = 128;

const FIELD = {
  type: 'string',
  minLength: 1,
  maxLength: FIELD_MAX_LENGTH,
  errorMessage: `must be a field name of 1..${FIELD_MAX_LENGTH} characters`,
} as const satisfies JsonSchema;

const RENAME_STEP = {
  type: 'object',
  additionalProperties: false,
  required: ['op', 'from', 'to'],
  properties: {
    op: { type: 'string', enum: ['rename'] },
    from: { ...FIELD, description: "The field's name in the previous version.", example: 'status' },
    to: { ...FIELD, description: 'Its name in this version.', example: 'jobstatus' },
  },
} as const satisfies JsonSchema;

/** One declarative step from the previous version (top-level fields). */
export const UPCAST_STEP_SCHEMA = {
  type: 'object',
  discriminator: { propertyName: 'op' },
  oneOf: [
    RENAME_STEP,
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'field', 'value'],
      properties: {
        op: { type: 'string', enum: ['set_default'] },
        field: { ...FIELD, example: 'scantype' },
        value: { description: 'The value a record without the field gets (any JSON value).', example: 'NONE' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'field'],
      properties: { op: { type: 'string', enum: ['drop'] }, field: FIELD },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'field', 'values'],
      properties: {
        op: { type: 'string', enum: ['map_values'] },
        field: FIELD,
        values: {
          type: 'object',
          minProperties: 1,
          errorMessage: 'must be a non-empty object of old value → new value',
          description: 'Previous value → value in this version (string values).',
          example: { DONE: 'COMPLETED' },
        },
      },
    },
  ],
} as const satisfies JsonSchema;

const JSON_SCHEMA_FIELD = {
  type: 'object',
  errorMessage: 'must be a JSON Schema object',
  description: "A JSON Schema (draft-07) for the domain's record data; compiled with ajv, unknown keywords refused.",
  example: {
    type: 'object',
    required: ['jobdesc', 'jobstatus'],
    properties: {
      jobdesc: { type: 'string', minLength: 3, maxLength: 200 },
      jobstatus: { type: 'string', enum: ['ASSIGNED', 'INPROGRESS', 'COMPLETED', 'PARTIALLYCOMPLETED', 'STANDBY'] },
    },
  },
} as const satisfies JsonSchema;

const UPCAST_FIELD = {
  type: 'array',
  maxItems: MAX_STEPS,
  items: UPCAST_STEP_SCHEMA,
  errorMessage: `must be an array of at most ${MAX_STEPS} steps`,
  description: 'Steps from the previous version, applied in order; none for version 1.',
  example: [
    { op: 'rename', from: 'status', to: 'jobstatus' },
    { op: 'set_default', field: 'scantype', value: 'NONE' },
  ],
} as const satisfies JsonSchema;

/**
 * The body of `PUT /api/v1/schemas/{domain}` (and the file of `schema:set`): its one source. The check with exact
 * JSON pointers, the TypeScript type and the OpenAPI body all come from this object.
 */
export const PUT_SCHEMA_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'json_schema'],
  properties: {
    version: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_VERSION,
      errorMessage: `must be a whole number from 1 to ${MAX_VERSION}`,
      description: 'The current version + 1 (1 for the first).',
      example: 2,
    },
    json_schema: JSON_SCHEMA_FIELD,
    upcast: UPCAST_FIELD,
  },
} as const satisfies JsonSchema;

/** The body, checked; `upcast` defaults to no steps. */
export type PutSchemaRequest = Required<FromSchema<typeof PUT_SCHEMA_REQUEST_SCHEMA>>;

/** What the schema cannot say: one field against another, and the size of the schema's JSON. */
const REFINEMENTS = new Map<JsonSchema, Refinement>([
  [
    RENAME_STEP,
    (step: Record<string, unknown>) =>
      checkJson(FIELD, step.from).length === 0 && step.from === step.to
        ? { pointer: '/to', message: 'must differ from "from"' }
        : null,
  ],
  [
    JSON_SCHEMA_FIELD,
    (schema: Record<string, unknown>) =>
      JSON.stringify(schema).length > MAX_SCHEMA_BYTES
        ? { pointer: '', message: `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON` }
        : null,
  ],
  [
    UPCAST_FIELD,
    (steps: unknown[], body) =>
      (body as { version?: unknown }).version === 1 && steps.length > 0
        ? { pointer: '', message: 'must be empty for version 1 (there is no previous version)' }
        : null,
  ],
]);

/** Checks the shape of the request; every failure names its JSON pointer. */
export function parsePutSchemaRequest(body: unknown): { value: PutSchemaRequest } | { errors: PointerError[] } {
  const errors = checkJson(PUT_SCHEMA_REQUEST_SCHEMA, body, REFINEMENTS);
  if (errors.length > 0) return { errors };
  const request = body as FromSchema<typeof PUT_SCHEMA_REQUEST_SCHEMA>;
  return { value: { ...request, upcast: request.upcast ?? [] } };
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
