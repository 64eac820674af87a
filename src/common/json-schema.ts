import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

/** The JSON-schema subset request bodies are written in: what ajv compiles, declared `as const`. */
export interface JsonSchema {
  /** `[type, 'null']` admits null; ajv's error then reads "must be string,null". */
  readonly type: JsonType | readonly [JsonType, 'null'];
  readonly description?: string;
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
export type FromSchema<S> = S extends { readonly type: readonly [infer T, 'null'] }
  ? ValueOf<S, T> | null
  : S extends { readonly type: infer T }
    ? ValueOf<S, T>
    : never;

/** The same schema in OpenAPI 3.0, which spells a nullable type `nullable: true`. */
export function toOpenApiSchema(schema: JsonSchema): SchemaObject {
  const { type, enum: values, required, items, properties, ...annotations } = schema;
  return {
    ...(typeof type === 'string' ? { type } : { type: type[0], nullable: true }),
    ...annotations,
    ...(values && { enum: [...values] }),
    ...(required && { required: [...required] }),
    ...(items && { items: toOpenApiSchema(items) }),
    ...(properties && {
      properties: Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, toOpenApiSchema(value)])),
    }),
  };
}
