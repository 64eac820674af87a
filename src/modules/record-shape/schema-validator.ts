import Ajv, { AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv';
import { UUID_PATTERN } from '../../common/ids';
import { parseInstant } from '../../common/time/instant';
import { escapePointer, PointerError, RecordData } from './upcast.policy';

const MAX_ERRORS = 20;
const UUID = new RegExp(UUID_PATTERN);

function isDateTime(value: string): boolean {
  try {
    return parseInstant(value) !== null;
  } catch {
    return false;
  }
}

function isDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && isDateTime(`${value}T00:00:00Z`);
}

/**
 * One ajv instance for tenants' record schemas: unknown keywords and formats are errors (a typo must not silently
 * validate nothing), schemas are never registered by $id (two tenants may use the same one).
 */
export function createRecordAjv(): Ajv {
  return new Ajv({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    addUsedSchema: false,
    coerceTypes: false,
    useDefaults: false,
    formats: { 'date-time': isDateTime, date: isDate, uuid: (value: string) => UUID.test(value) },
  });
}

const SUBSCHEMA = ['additionalItems', 'additionalProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else'];
const SUBSCHEMA_MORE = ['unevaluatedItems', 'unevaluatedProperties'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies'];

/** The pointer of the first key of a schema object (or a subschema) that ajv does not know. */
function unknownKeyword(ajv: Ajv, schema: unknown, at: string): string | null {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return null;
  const node = schema as Record<string, unknown>;
  for (const key of Object.keys(node)) {
    if (!ajv.RULES.all[key]) return `${at}/${escapePointer(key)}`;
  }
  const children: Array<[unknown, string]> = [];
  for (const key of [...SUBSCHEMA, ...SUBSCHEMA_MORE]) children.push([node[key], `${at}/${key}`]);
  const items = node.items;
  if (Array.isArray(items)) items.forEach((item, i) => children.push([item, `${at}/items/${i}`]));
  else children.push([items, `${at}/items`]);
  for (const key of SUBSCHEMA_LISTS) {
    const list = node[key];
    if (Array.isArray(list)) list.forEach((item, i) => children.push([item, `${at}/${key}/${i}`]));
  }
  for (const key of SUBSCHEMA_MAPS) {
    const map = node[key];
    if (map !== null && typeof map === 'object' && !Array.isArray(map)) {
      for (const [name, child] of Object.entries(map)) children.push([child, `${at}/${key}/${escapePointer(name)}`]);
    }
  }
  for (const [child, pointer] of children) {
    const found = unknownKeyword(ajv, child, pointer);
    if (found !== null) return found;
  }
  return null;
}

function dedupe(errors: PointerError[]): PointerError[] {
  const seen = new Set<string>();
  return errors
    .filter((error) => {
      if (seen.has(error.pointer)) return false;
      seen.add(error.pointer);
      return true;
    })
    .slice(0, MAX_ERRORS);
}

/** Why ajv's meta-schema refuses a schema, at pointers into the schema. */
function metaErrors(errors: ErrorObject[]): PointerError[] {
  return dedupe(errors.map((error) => ({ pointer: error.instancePath, message: error.message ?? 'is invalid' })));
}

/** Where a failed compile went wrong: the unknown keyword or format, else the schema itself. */
function compileError(ajv: Ajv, schema: AnySchemaObject, error: unknown): PointerError {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('strict mode: unknown keyword')) {
    const pointer = unknownKeyword(ajv, schema, '');
    if (pointer !== null) return { pointer, message: 'is not a known JSON Schema keyword' };
  }
  const format = /^unknown format "[^"]*" ignored in schema at path "#([^"]*)"/.exec(message);
  if (format) return { pointer: `${format[1]}/format`, message: message.replace(/ ignored in schema at path.*$/, '') };
  return { pointer: '', message };
}

/** Record validation failures as JSON pointers into the record: a missing or extra property names that property. */
export function recordErrors(errors: readonly ErrorObject[]): PointerError[] {
  return dedupe(
    errors.map((error) => {
      if (error.keyword === 'required') {
        const missing = (error.params as { missingProperty: string }).missingProperty;
        return { pointer: `${error.instancePath}/${escapePointer(missing)}`, message: 'is required' };
      }
      if (error.keyword === 'additionalProperties') {
        const extra = (error.params as { additionalProperty: string }).additionalProperty;
        return { pointer: `${error.instancePath}/${escapePointer(extra)}`, message: 'is not allowed' };
      }
      return { pointer: error.instancePath, message: error.message ?? 'is invalid' };
    }),
  );
}

interface Entry {
  schema: AnySchemaObject;
  validate: ValidateFunction;
}

/**
 * Compiled record validators, one per (tenant, domain, version). Versions never change once stored, so an entry
 * never goes stale; the least recently used are dropped beyond `capacity` (and released from ajv).
 */
export class SchemaValidatorCache {
  private readonly ajv = createRecordAjv();
  private readonly entries = new Map<string, Entry>();
  private compileCount = 0;

  constructor(private readonly capacity = 2000) {}

  static key(tenantId: string, domain: string, version: number): string {
    return `${tenantId}/${domain}/${version}`;
  }

  /** How many schemas were compiled since start (tests: once per version, never per request). */
  get compiles(): number {
    return this.compileCount;
  }

  /** Compiles a schema under `key` (the first time only); errors at pointers into the schema. */
  compile(key: string, schema: AnySchemaObject): { validate: ValidateFunction } | { errors: PointerError[] } {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return { validate: cached.validate };
    }
    const compiled = this.tryCompile(schema);
    if ('errors' in compiled) return compiled;
    this.compileCount += 1;
    this.entries.set(key, { schema, validate: compiled.validate });
    while (this.entries.size > this.capacity) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.ajv.removeSchema(entry.schema);
    }
    return compiled;
  }

  /** Checks a schema without keeping it. */
  check(schema: AnySchemaObject): PointerError[] {
    const compiled = this.tryCompile(schema);
    this.ajv.removeSchema(schema);
    return 'errors' in compiled ? compiled.errors : [];
  }

  private tryCompile(schema: AnySchemaObject): { validate: ValidateFunction } | { errors: PointerError[] } {
    try {
      if (!this.ajv.validateSchema(schema)) return { errors: metaErrors(this.ajv.errors ?? []) };
      return { validate: this.ajv.compile(schema) };
    } catch (error) {
      this.ajv.removeSchema(schema);
      return { errors: [compileError(this.ajv, schema, error)] };
    }
  }

  /** Validates a record against the compiled version (compiled on first use); [] when valid. */
  validate(key: string, schema: AnySchemaObject, data: RecordData): PointerError[] {
    const compiled = this.compile(key, schema);
    if ('errors' in compiled) return compiled.errors;
    return compiled.validate(data) ? [] : recordErrors(compiled.validate.errors ?? []);
  }
}
