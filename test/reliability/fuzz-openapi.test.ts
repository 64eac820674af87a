import { call, startTestApp, TestApp } from '../helpers/test-app';
import { Endpoint, ENDPOINTS, Fixture, requestPath, routeKey, seedTenant } from './endpoints';

/**
 * The fuzzer generated from the OpenAPI document: for every operation, every query, path and header parameter and
 * every field of its request body schema (nested objects and the first array item included) gets a null, an empty
 * and an oversize value, one at a time, in an otherwise valid request (the endpoint table's example). Every answer
 * must be below 500, and every refusal must carry the error body. A value the schema allows (null for an optional
 * field, an empty string without minLength) may be accepted; the run counts those. Nothing may be lost: every
 * stored record and revision of the fixture is still there afterwards.
 */

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  maxLength?: number;
  maximum?: number;
  maxItems?: number;
  nullable?: boolean;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface Fault {
  endpoint: string;
  where: string;
  value: 'null' | 'empty' | 'oversize';
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
}

/** Strings, numbers, arrays and objects past every limit the service has (body limit excepted). */
const HUGE_STRING_BYTES = 100_000;
const HUGE_COUNT = 10_001;
const MAX_DEPTH = 3;
const CONCURRENCY = 4;

function resolve(schema: Schema | undefined, doc: OpenApi): Schema {
  let current = schema ?? {};
  for (let hops = 0; current.$ref && hops < 10; hops++) {
    current = doc.components?.schemas?.[current.$ref.replace('#/components/schemas/', '')] ?? {};
  }
  const [first] = current.allOf ?? current.oneOf ?? current.anyOf ?? [];
  return first && !current.type && !current.properties ? resolve(first, doc) : current;
}

/**
 * The oversize values of a field of this schema, modelled on its example value: one past the documented limit
 * (maxLength, maximum, maxItems) when there is one, and a huge one (100 KB string, 1e308, 10,001 items or keys).
 */
function oversize(schema: Schema, example: unknown): unknown[] {
  if (schema.type === 'string' || typeof example === 'string') {
    const huge = 'x'.repeat(HUGE_STRING_BYTES);
    return schema.maxLength !== undefined ? ['x'.repeat(schema.maxLength + 1), huge] : [huge];
  }
  if (schema.type === 'integer' || schema.type === 'number' || typeof example === 'number') {
    return schema.maximum !== undefined ? [schema.maximum + 1, 1e308] : [1e308];
  }
  if (schema.type === 'array' || Array.isArray(example)) {
    const item = Array.isArray(example) && example.length > 0 ? example[0] : 0;
    const items = (count: number): unknown[] => Array.from({ length: count }, () => item);
    return schema.maxItems !== undefined ? [items(schema.maxItems + 1), items(HUGE_COUNT)] : [items(HUGE_COUNT)];
  }
  if (schema.type === 'boolean' || typeof example === 'boolean') return ['x'.repeat(HUGE_STRING_BYTES)];
  return [Object.fromEntries(Array.from({ length: HUGE_COUNT }, (_, i) => [`k${i}`, i]))];
}

function empty(schema: Schema, example: unknown): unknown {
  if (schema.type === 'array' || Array.isArray(example)) return [];
  if (schema.type === 'object' || (typeof example === 'object' && example !== null)) return {};
  return '';
}

type Path = Array<string | number>;

function setAt(root: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Every field of a body schema under `path`: properties, nested (while the example has the parent), first items. */
function bodyFields(schema: Schema, doc: OpenApi, example: unknown, path: Path = []): Array<[Path, Schema]> {
  const resolved = resolve(schema, doc);
  if (path.length > MAX_DEPTH) return [];
  const fields: Array<[Path, Schema]> = [];
  for (const [name, property] of Object.entries(resolved.properties ?? {})) {
    const child = [...path, name];
    const propertySchema = resolve(property, doc);
    fields.push([child, propertySchema]);
    const value = getAt(example, child);
    if (value !== undefined && value !== null) fields.push(...bodyFields(propertySchema, doc, example, child));
  }
  if (resolved.type === 'array' && resolved.items && Array.isArray(getAt(example, path))) {
    const first = [...path, 0];
    if (getAt(example, first) !== undefined) {
      const itemSchema = resolve(resolved.items, doc);
      fields.push([first, itemSchema], ...bodyFields(itemSchema, doc, example, first));
    }
  }
  return fields;
}

function fieldName(path: Path): string {
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
}

function faultsOf(doc: OpenApi, endpoint: Endpoint, operation: Operation, f: Fixture): Fault[] {
  const key = `${endpoint.method} ${endpoint.path}`;
  const credential = endpoint.access === 'sync' ? f.tenant.syncKey : f.tenant.adminKey;
  const baseHeaders: Record<string, string> = {
    ...(endpoint.access === 'public' ? {} : { authorization: `Bearer ${credential}` }),
    ...(endpoint.device ? { 'x-device-id': f.deviceId } : {}),
  };
  const example = endpoint.body?.(f);
  const baseBody = example === undefined ? undefined : JSON.stringify(example);
  if (baseBody !== undefined) baseHeaders['content-type'] = 'application/json';
  const query = endpoint.query?.(f) ?? {};
  const faults: Fault[] = [];
  const add = (where: string, value: Fault['value'], change: Partial<Fault>): void => {
    faults.push({
      endpoint: key,
      where,
      value,
      method: endpoint.method,
      path: requestPath(endpoint, f),
      body: baseBody,
      headers: baseHeaders,
      ...change,
    });
  };
  for (const parameter of operation.parameters ?? []) {
    const schema = resolve(parameter.schema, doc);
    const values: Array<[Fault['value'], string]> = [
      ['null', 'null'],
      ['empty', ''],
      ...oversize(schema, schema.type === 'string' ? '' : undefined).map((value): [Fault['value'], string] => [
        'oversize',
        String(value),
      ]),
    ];
    for (const [kind, raw] of values) {
      if (parameter.in === 'query') {
        add(`query.${parameter.name}`, kind, {
          path: requestPath(endpoint, f, { query: { ...query, [parameter.name]: raw } }),
        });
      } else if (parameter.in === 'path') {
        add(`path.${parameter.name}`, kind, { path: requestPath(endpoint, f, { params: { [parameter.name]: raw } }) });
      } else if (kind !== 'null') {
        // A header has no null; 'null' is a valid device id.
        add(`header.${parameter.name}`, kind, {
          headers: { ...baseHeaders, [parameter.name.toLowerCase()]: kind === 'empty' ? '' : 'x'.repeat(8_000) },
        });
      }
    }
  }
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
  if (bodySchema && example !== undefined) {
    add('body', 'null', { body: 'null' });
    add('body', 'empty', { body: '' });
    for (const [path, schema] of bodyFields(bodySchema, doc, example)) {
      const current = getAt(example, path);
      const values: Array<[Fault['value'], unknown]> = [
        ['null', null],
        ['empty', empty(schema, current)],
        ...oversize(schema, current).map((value): [Fault['value'], unknown] => ['oversize', value]),
      ];
      for (const [kind, value] of values) {
        add(`body.${fieldName(path)}`, kind, { body: JSON.stringify(setAt(example, path, value)) });
      }
    }
  }
  return faults;
}

interface Answer {
  status: number;
  body: unknown;
}

/** Sends a fault; a change stream that opens (200) is closed at once: its status is the answer. */
async function send(t: TestApp, fault: Fault): Promise<Answer> {
  const abort = new AbortController();
  const response = await fetch(`${t.url}${fault.path}`, {
    method: fault.method,
    headers: fault.headers,
    body: fault.body,
    signal: abort.signal,
  });
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    abort.abort();
    return { status: response.status, body: undefined };
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a text answer (metrics): kept as is
  }
  return { status: response.status, body };
}

/** `{error: {code, message, details, request_id}}` and nothing else. */
function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'error') return false;
  const error = (body as { error: Record<string, unknown> }).error;
  return (
    Object.keys(error).sort().join() === 'code,details,message,request_id' &&
    typeof error.code === 'string' &&
    typeof error.message === 'string' &&
    Array.isArray(error.details) &&
    typeof error.request_id === 'string'
  );
}
const STACK_TRACE = /\bat .+\.(ts|js):\d+|node_modules|RangeError|TypeError|QueryFailedError/;

describe('the fuzzer generated from the OpenAPI document: null, empty and oversize values everywhere', () => {
  let t: TestApp;
  let f: Fixture;

  beforeAll(async () => {
    t = await startTestApp('fuzz_openapi', { RATE_LIMIT_PER_MINUTE: 1_000_000 });
    f = await seedTenant(t, 'openapi');
  });
  afterAll(() => t.close());

  it('answers every parameter and body field of every operation below 500, refusals with the error body', async () => {
    const doc = (await call<OpenApi>(t, 'GET', '/docs-json')).body;
    const table = new Map(ENDPOINTS.map((endpoint) => [routeKey(endpoint.method, endpoint.path), endpoint]));
    const faults: Fault[] = [];
    const operations: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const endpoint = table.get(routeKey(method, path));
        // endpoints.test.ts fails when the table lacks a documented route.
        if (!endpoint) continue;
        operations.push(`${method.toUpperCase()} ${path}`);
        faults.push(...faultsOf(doc, endpoint, operation, f));
      }
    }
    const records = await t.db.query(`SELECT mobile_id, version FROM sync_record WHERE tenant_id = $1`, [f.tenant.id]);
    const revisions = await t.db.query(
      `SELECT md5(r::text) AS sum FROM sync_record_revision r WHERE tenant_id = $1 ORDER BY 1`,
      [f.tenant.id],
    );

    const started = Date.now();
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    const accepted: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < faults.length) {
          const fault = faults[next++];
          const answer = await send(t, fault);
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          const what = `${fault.endpoint} ${fault.where} = ${fault.value} → ${answer.status}`;
          if (answer.status >= 500) failures.push(`${what} ${JSON.stringify(answer.body).slice(0, 200)}`);
          else if (answer.status >= 400) {
            const text = JSON.stringify(answer.body);
            if (!isErrorBody(answer.body) || STACK_TRACE.test(text) || text.length >= 20_000) {
              failures.push(`${what} without the error body: ${text.slice(0, 200)}`);
            }
          } else accepted.push(`${fault.endpoint} ${fault.where}=${fault.value}`);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;

    const recordsAfter: Array<{ mobile_id: string; version: number }> = await t.db.query(
      `SELECT mobile_id, version FROM sync_record WHERE tenant_id = $1`,
      [f.tenant.id],
    );
    const revisionsAfter = new Set(
      (
        await t.db.query(`SELECT md5(r::text) AS sum FROM sync_record_revision r WHERE tenant_id = $1`, [f.tenant.id])
      ).map((row: { sum: string }) => row.sum),
    );
    const lostRecords = records.filter(
      (record: { mobile_id: string; version: number }) =>
        !recordsAfter.some((after) => after.mobile_id === record.mobile_id && after.version >= record.version),
    );
    const lostRevisions = revisions.filter((row: { sum: string }) => !revisionsAfter.has(row.sum));
    process.stdout.write(
      `fuzz (openapi): ${faults.length} requests (null, empty, oversize of every parameter and body field) to ` +
        `${operations.length} operations in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(statuses)}; ` +
        `${accepted.length} accepted as valid by the schema; failures ${failures.length}; ` +
        `records lost ${lostRecords.length} of ${records.length}, revisions lost ${lostRevisions.length} of ${revisions.length}\n` +
        (accepted.length > 0 ? `  accepted: ${accepted.slice(0, 40).join(', ')}\n` : ''),
    );
    expect(failures).toEqual([]);
    expect(lostRecords).toEqual([]);
    expect(lostRevisions).toEqual([]);
  }, 180_000);
});
