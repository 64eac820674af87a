import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ErrorBodyDto } from './error-body.dto';

/**
 * What the decorators cannot say in the OpenAPI document, applied to every route, so routes added later follow the
 * same rules without thinking of them:
 * - operationIds: `@ApiOperation({ operationId })` names a route (verb first: `pushChanges`, `listConflicts`);
 *   a route without one gets its method name followed by its controller's stem (`DirectoryController.list` →
 *   `listDirectory`). The finished document must not repeat an operationId.
 * - numbers: a DTO property validated with `@IsInt()` is an `integer`; `@Min`/`@Max` give its bounds;
 *   `@IsISO8601()`/`@IsDateString()` strings are `format: date-time`, `@Matches(re)` gives `pattern`.
 * - `...JSON_VALUE` in `@ApiProperty` marks a property that holds any JSON value.
 * - `nullable` with a `$ref` (which OpenAPI 3.0 ignores next to `allOf`) becomes `anyOf: [$ref, null]`; a nullable
 *   enum lists `null`.
 * - one parameter per name and place (`X-Device-Id` once; required when any declaration requires it).
 * - the error answers every authenticated route can give (400 bad input or X-Device-Id, 401, 403, 429, 500, 503 when
 *   the database is out of reach) and, with a JSON body, 413 and 415; all with the shared error body.
 */

/** Spread into `@ApiProperty` for a property that holds any JSON value (the document drops its type). */
export const JSON_VALUE = { 'x-json-value': true } as const;

const SWAGGER_PROPERTY = 'swagger/apiModelProperties';
const METADATA_FACTORY = '_OPENAPI_METADATA_FACTORY';
const refined = new WeakSet<object>();

type PropertyMetadata = Record<string, unknown>;
type Schema = Record<string, unknown>;

export function operationIdFactory(controllerKey: string, methodKey: string): string {
  const stem = controllerKey.replace(/Controller$/, '');
  return `${methodKey}${stem}`;
}

/** The schema facts of a property that its class-validator decorators state. */
function validatedFacts(rules: ValidationMetadata[]): PropertyMetadata {
  const facts: PropertyMetadata = {};
  for (const rule of rules) {
    const value: unknown = rule.constraints?.[0];
    if (rule.name === 'isInt') facts.type = 'integer';
    else if (rule.name === 'min' && typeof value === 'number') facts.minimum = value;
    else if (rule.name === 'max' && typeof value === 'number') facts.maximum = value;
    else if (rule.name === 'isIso8601' || rule.name === 'isDateString') facts.format = 'date-time';
    else if (rule.name === 'matches' && value instanceof RegExp) facts.pattern = value.source;
  }
  return facts;
}

function merged(metadata: PropertyMetadata, facts: PropertyMetadata): PropertyMetadata {
  const next = { ...metadata };
  // The plugin writes `type: () => Number`; a decorator writes `type: Number` or `'number'`.
  const declared = next.type;
  const type = typeof declared === 'function' && !('prototype' in declared) ? (declared as () => unknown)() : declared;
  const numeric = type === undefined || type === Number || type === 'number' || type === 'integer';
  if (facts.type === 'integer' && numeric && !next.isArray) next.type = 'integer';
  if (numeric) {
    for (const bound of ['minimum', 'maximum'] as const) {
      if (facts[bound] !== undefined && next[bound] === undefined) next[bound] = facts[bound];
    }
  }
  const text = type === String || type === 'string';
  if (text && next.enum === undefined) {
    for (const key of ['format', 'pattern'] as const) {
      if (facts[key] !== undefined && next[key] === undefined) next[key] = facts[key];
    }
  }
  return next;
}

/**
 * Adds the validated facts to the swagger metadata of every class class-validator knows: the explicit
 * `@ApiProperty` metadata and the plugin's generated factory. Idempotent.
 */
export function refineValidatedModels(): void {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<object, ValidationMetadata[]> };
  for (const [target, rules] of storage.validationMetadatas) {
    if (typeof target !== 'function' || refined.has(target)) continue;
    refined.add(target);
    const byProperty = new Map<string, ValidationMetadata[]>();
    for (const rule of rules) byProperty.set(rule.propertyName, [...(byProperty.get(rule.propertyName) ?? []), rule]);
    const facts = new Map([...byProperty].map(([name, list]) => [name, validatedFacts(list)]));
    const prototype = (target as { prototype: object }).prototype;
    for (const [name, fact] of [...facts]) {
      const own = Reflect.getOwnMetadata(SWAGGER_PROPERTY, prototype, name) as PropertyMetadata | undefined;
      // A property that spells out its alternatives (oneOf/anyOf) is documented as written.
      if (own?.oneOf || own?.anyOf) facts.delete(name);
      else if (own) Reflect.defineMetadata(SWAGGER_PROPERTY, merged(own, fact), prototype, name);
    }
    const holder = target as unknown as Record<string, unknown>;
    const factory = Object.prototype.hasOwnProperty.call(holder, METADATA_FACTORY) ? holder[METADATA_FACTORY] : null;
    if (typeof factory === 'function') {
      holder[METADATA_FACTORY] = () => {
        const generated = (factory as () => Record<string, PropertyMetadata>)();
        for (const [name, fact] of facts) if (generated[name]) generated[name] = merged(generated[name], fact);
        return generated;
      };
    }
  }
}

function fixSchema(schema: Schema): void {
  if (schema['x-json-value'] === true) {
    for (const key of ['x-json-value', 'type', 'additionalProperties', 'items', 'properties']) delete schema[key];
    schema.nullable = true;
  }
  const allOf = schema.allOf as Schema[] | undefined;
  if (schema.nullable === true && allOf?.length === 1 && typeof allOf[0].$ref === 'string') {
    schema.anyOf = [allOf[0], { type: 'object', nullable: true, enum: [null] }];
    delete schema.allOf;
    delete schema.nullable;
    delete schema.type;
  }
  // Alternatives carry their own keywords; the ones inherited beside them (a parent class's pattern) are dropped.
  if (Array.isArray(schema.oneOf)) {
    for (const key of ['type', 'pattern', 'format', 'minLength', 'maxLength']) delete schema[key];
  }
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum = [...(schema.enum as unknown[]), null];
  }
}

function walk(node: unknown, visit: (schema: Schema) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  visit(node as Schema);
  for (const child of Object.values(node)) walk(child, visit);
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}

function uniqueParameters(parameters: Parameter[]): Parameter[] {
  const byKey = new Map<string, Parameter>();
  for (const parameter of parameters) {
    const key = `${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`;
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, ...parameter, required: !!(seen.required || parameter.required) } : parameter);
  }
  return [...byKey.values()];
}

const ERROR_REF = { $ref: `#/components/schemas/${ErrorBodyDto.name}` };
const AUTHENTICATED_ERRORS: Record<string, string> = {
  '400': 'Invalid input (query, path, body or X-Device-Id)',
  '401': 'Missing or bad credential',
  '403': 'Credential lacks the scope',
  '429': 'Rate limited',
  '503': 'Database unavailable: retry after the Retry-After seconds',
  '500': 'Internal error: the shared error body, never a stack',
};
const BODY_ERRORS: Record<string, string> = {
  '400': 'Invalid body',
  '413': 'Body above BODY_LIMIT_BYTES after decompression',
  '415': 'Body not application/json, or an unsupported Content-Encoding',
};

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: unknown;
  security?: unknown[];
  responses?: Record<string, unknown>;
}

function addErrors(operation: Operation, errors: Record<string, string>): void {
  const responses = (operation.responses ??= {});
  for (const [status, description] of Object.entries(errors)) {
    responses[status] ??= { description, content: { 'application/json': { schema: ERROR_REF } } };
  }
}

/** Applies the document-wide rules (see the top of this file) to a document SwaggerModule generated. */
export function finishOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  walk(document, fixSchema);
  const seen = new Map<string, string>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(methods as Record<string, Operation>)) {
      if (typeof value !== 'object' || value === null || !('responses' in value)) continue;
      const operation = value;
      if (operation.parameters) operation.parameters = uniqueParameters(operation.parameters);
      if (operation.security?.length) addErrors(operation, AUTHENTICATED_ERRORS);
      if (operation.requestBody) addErrors(operation, BODY_ERRORS);
      const where = `${method.toUpperCase()} ${path}`;
      const id = operation.operationId ?? '';
      if (!/^[a-z][A-Za-z0-9]*$/.test(id)) throw new Error(`${where}: operationId "${id}" is not camelCase`);
      const other = seen.get(id);
      if (other) throw new Error(`operationId ${id} is used by ${other} and ${where}`);
      seen.set(id, where);
    }
  }
  return document;
}
