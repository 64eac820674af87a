import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

/**
 * The JSON-schema subset request bodies are written in, declared `as const`: ajv compiles it (push) or checkJson
 * walks it (exact pointers); FromSchema types it and toOpenApiSchema documents it.
 */
export interface JsonSchema {
  /** `[type, 'null']` admits null; ajv's error then reads "must be string,null". No type: any JSON value. */
  readonly type?: JsonType | readonly [JsonType, 'null'];
  readonly description?: string;
  readonly example?: unknown;
  /** checkJson only (ajv and OpenAPI leave it out): what a value failing this schema is told, at its pointer. */
  readonly errorMessage?: string;
  readonly default?: unknown;
  readonly enum?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: JsonSchema;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly minProperties?: number;
  /** With `discriminator`: exactly the branch whose discriminating property's enum holds the value's. */
  readonly oneOf?: readonly JsonSchema[];
  readonly discriminator?: { readonly propertyName: string };
}

/** A failure at a JSON pointer (RFC 6901) into a request or a record. */
export interface PointerError {
  pointer: string;
  message: string;
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ObjectOf<P, R extends PropertyKey> = Simplify<
  { -readonly [K in keyof P & R]: FromSchema<P[K]> } & {
    -readonly [K in Exclude<keyof P, R>]?: FromSchema<P[K]>;
  }
>;

type ValueOf<S, T> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : T extends 'string'
    ? string
    : T extends 'integer' | 'number'
      ? number
      : T extends 'boolean'
        ? boolean
        : T extends 'array'
          ? S extends { readonly items: infer I }
            ? Array<FromSchema<I>>
            : unknown[]
          : S extends { readonly properties: infer P }
            ? ObjectOf<P, S extends { readonly required: readonly (infer R extends PropertyKey)[] } ? R : never>
            : Record<string, unknown>;

/** The TypeScript type of the values a schema accepts. */
export type FromSchema<S> = S extends { readonly oneOf: readonly (infer B)[] }
  ? FromSchema<B>
  : S extends { readonly type: readonly [infer T, 'null'] }
    ? ValueOf<S, T> | null
    : S extends { readonly type: infer T }
      ? ValueOf<S, T>
      : unknown;

/** The same schema in OpenAPI 3.0, which spells a nullable type `nullable: true`. */
export function toOpenApiSchema(schema: JsonSchema): SchemaObject {
  const { type, enum: values, required, items, properties, oneOf, errorMessage: _, ...annotations } = schema;
  return {
    ...(type === undefined ? {} : typeof type === 'string' ? { type } : { type: type[0], nullable: true }),
    ...annotations,
    ...(oneOf && { oneOf: oneOf.map(toOpenApiSchema) }),
    ...(values && { enum: [...values] }),
    ...(required && { required: [...required] }),
    ...(items && { items: toOpenApiSchema(items) }),
    ...(properties && {
      properties: Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, toOpenApiSchema(value)])),
    }),
  };
}

/** A check JSON schema cannot say, of one schema node: a failure at a pointer relative to the node, or null. */
export type Refinement = (value: never, root: unknown) => PointerError | null;
type Refinements = ReadonlyMap<JsonSchema, Refinement>;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
    case 'boolean':
      return typeof value === type;
  }
}

/** Whether the value meets the schema's own keywords (not its properties' or items'). */
function meetsOwnKeywords(schema: JsonSchema, value: unknown): boolean {
  if (schema.type !== undefined) {
    const [type, nullable] = typeof schema.type === 'string' ? [schema.type, false] : [schema.type[0], true];
    if (value === null) return nullable;
    if (!hasType(value, type)) return false;
  }
  if (schema.enum && !schema.enum.includes(value as string)) return false;
  if (typeof value === 'string') {
    if (value.length < (schema.minLength ?? 0) || value.length > (schema.maxLength ?? Infinity)) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) return false;
  }
  if (typeof value === 'number' && (value < (schema.minimum ?? -Infinity) || value > (schema.maximum ?? Infinity))) {
    return false;
  }
  if (Array.isArray(value) && (value.length < (schema.minItems ?? 0) || value.length > (schema.maxItems ?? Infinity))) {
    return false;
  }
  return !(isObject(value) && Object.keys(value).length < (schema.minProperties ?? 0));
}

function ownMessage(schema: JsonSchema): string {
  if (schema.errorMessage !== undefined) return schema.errorMessage;
  if (schema.enum) return `must be one of ${schema.enum.join(', ')}`;
  const type = typeof schema.type === 'string' ? schema.type : schema.type?.[0];
  return type === 'object' || type === 'array' || type === 'integer' ? `must be an ${type}` : `must be a valid ${type}`;
}

function discriminated(schema: JsonSchema, value: Record<string, unknown>): JsonSchema | undefined {
  const name = schema.discriminator!.propertyName;
  return schema.oneOf!.find((branch) => branch.properties?.[name]?.enum?.includes(value[name] as string));
}

function walk(schema: JsonSchema, value: unknown, at: string, root: unknown, refine: Refinements, out: PointerError[]) {
  if (schema.oneOf) {
    if (!isObject(value)) {
      out.push({ pointer: at, message: schema.errorMessage ?? 'must be an object' });
      return;
    }
    const branch = discriminated(schema, value);
    if (!branch) {
      const name = schema.discriminator!.propertyName;
      const allowed = schema.oneOf.flatMap((option) => option.properties?.[name]?.enum ?? []);
      out.push({ pointer: `${at}/${escapePointer(name)}`, message: `must be one of ${allowed.join(', ')}` });
      return;
    }
    walk(branch, value, at, root, refine, out);
    return;
  }
  if (!meetsOwnKeywords(schema, value)) {
    out.push({ pointer: at, message: ownMessage(schema) });
    return;
  }
  if (isObject(value)) {
    const properties = schema.properties ?? {};
    if (schema.additionalProperties === false) {
      for (const key of Object.keys(value)) {
        if (!(key in properties)) out.push({ pointer: `${at}/${escapePointer(key)}`, message: 'is not allowed' });
      }
    }
    for (const [name, child] of Object.entries(properties)) {
      const pointer = `${at}/${escapePointer(name)}`;
      if (value[name] !== undefined) walk(child, value[name], pointer, root, refine, out);
      else if (schema.required?.includes(name)) out.push({ pointer, message: child.errorMessage ?? 'is required' });
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, index) => walk(schema.items!, item, `${at}/${index}`, root, refine, out));
  }
  const failure = refine.get(schema)?.(value as never, root) ?? null;
  if (failure !== null) out.push({ pointer: `${at}${failure.pointer}`, message: failure.message });
}

/**
 * Every failure of a value against a schema, each at its JSON pointer, in document order (unknown properties of an
 * object before its own). `refine` adds checks JSON schema cannot say (one field against another): a function of a
 * schema node, called with its value (and the whole document) once the node's own keywords hold.
 */
export function checkJson(schema: JsonSchema, value: unknown, refine: Refinements = new Map()): PointerError[] {
  const errors: PointerError[] = [];
  walk(schema, value, '', value, refine, errors);
  return errors;
}
