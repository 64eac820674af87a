import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { pushItem, taskData } from '../factories/records';
import { call, CallResult, startTestApp, TestApp } from '../helpers/test-app';
import { DbState, dataState, dbState, REQUEST_LOG_TABLES } from './db-state';
import { Endpoint, ENDPOINTS, FieldKind, Fixture, requestPath, seedTenant } from './endpoints';

const SEED = 20251125;
const RUNS_PER_ENDPOINT = 40;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_LIST = /^(journal|attendance|task|ticket|work_order)(,(journal|attendance|task|ticket|work_order))*$/;
const DOMAINS = ['journal', 'attendance', 'task', 'ticket', 'work_order'];
const STACK_TRACE = /\bat .+\.(ts|js):\d+|node_modules|RangeError|TypeError|QueryFailedError/;

/** Body fields where null is valid: everything optional in a class-validator DTO (null counts as absent). */
const REQUIRED_BODY_FIELDS: Record<string, string[]> = {
  'POST /api/v1/api-keys': ['name', 'scopes'],
  'POST /api/v1/bandwidth/delta': ['server_version', 'client_version'],
  'POST /api/v1/bandwidth/batches': ['items', 'network_quality'],
  'POST /api/v1/bandwidth/prioritize': ['items', 'items[0]'],
  'PUT /api/v1/conflict-policies/{domain}': ['resolution_policy'],
  'POST /api/v1/conflicts/resolve': ['domain', 'server_entry', 'client_entry'],
  'POST /api/v1/conflicts/{id}/resolve': ['choose', 'merged_entry'],
};
/** The push body is validated by a JSON schema: null is invalid everywhere but client_updated_at. */
const PUSH = 'POST /api/v1/sync/push';

/** JSON text spliced into a body as is (numbers JSON.stringify cannot write). */
class RawJson {
  constructor(readonly text: string) {}
}

interface BadRequest {
  what: string;
  path: string;
  body?: string;
  contentType?: string;
  device?: string;
}

const huge = 'x'.repeat(100_000);
/** Arrays nested `levels` deep, as raw text (JSON.stringify itself overflows the stack on such values). */
const nested = (levels: number): RawJson => new RawJson('['.repeat(levels) + ']'.repeat(levels));
const notString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({ a: 1 }),
  fc.integer({ min: 65, max: 5000 }).map(nested),
);
const nonFinite = fc.constantFrom(new RawJson('1e400'), new RawJson('-1e400'), new RawJson('1E+999'));

/** Values a JSON body field of this kind must reject. */
function badBodyValue(kind: FieldKind): fc.Arbitrary<unknown> {
  switch (kind.kind) {
    case 'enum':
      return fc.oneof(
        fc.string({ maxLength: 20 }).filter((value) => !kind.values.includes(value)),
        fc.constantFrom('TASK', 'tasks', 'work-order', ' task', 'High', 'unknown_domain', huge),
        notString,
      );
    case 'string':
      return fc.oneof(
        fc.string({ minLength: kind.max + 1, maxLength: kind.max + 40 }),
        fc.constant(huge),
        ...(kind.min > 0 ? [fc.string({ maxLength: kind.min - 1 })] : []),
        notString,
      );
    case 'uuid':
      return fc.oneof(
        fc.string({ maxLength: 40 }).filter((value) => !UUID.test(value)),
        fc.uuid().map((uuid) => uuid.replace(/-/g, '')),
        fc.uuid().map((uuid) => `${uuid}0`),
        fc.constantFrom('not-a-uuid', '', '00000000-0000-0000-0000-00000000000g', huge),
        notString,
      );
    case 'timestamp':
      return fc.oneof(
        fc.constantFrom(
          '2025-13-45T99:99:99Z',
          '2025-09-28',
          '2025-09-28T10:00:00',
          'yesterday',
          '',
          '2025-09-28T25:00:00Z',
          '0000-00-00T00:00:00Z',
          '2025-09-28T10:00:00+25:00',
          '+275760-09-13T00:00:00.001Z',
          huge,
        ),
        fc.string({ maxLength: 30 }).filter((value) => !/^\d{4}-/.test(value)),
        fc.integer(),
        fc.constant({}),
      );
    case 'int':
      return fc.oneof(
        fc.integer({ min: -2_000_000_000, max: kind.min - 1 }),
        fc.integer({ min: kind.max + 1, max: Math.max(kind.max + 1, 2 ** 53) }),
        fc.constantFrom(kind.min + 0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER),
        fc.constantFrom('NaN', 'Infinity'),
        nonFinite,
        fc.boolean(),
        fc.constant([1]),
      );
    case 'number':
      return fc.oneof(
        fc.double({ min: -1e12, max: kind.min, maxExcluded: true, noNaN: true }),
        fc.double({ min: kind.max, max: 1e308, minExcluded: true, noNaN: true }),
        fc.constantFrom('5', 'NaN', 'Infinity'),
        nonFinite,
        fc.boolean(),
      );
    case 'bool':
      return fc.oneof(fc.constantFrom('true', 'false', 1, 0, 'yes'), fc.constant([]), fc.constant({}));
    case 'object':
      return fc.oneof(
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.string({ maxLength: 10 }),
        fc.integer(),
        fc.boolean(),
        fc.integer({ min: 65, max: 5000 }).map(nested),
      );
    case 'array':
      return fc.oneof(
        fc.constant({ 0: 'x' }),
        fc.string({ maxLength: 10 }),
        fc.integer(),
        fc.boolean(),
        fc.integer({ min: 65, max: 5000 }).map(nested),
      );
    case 'domains':
    case 'cursor':
      return notString;
    case 'url':
      return fc.oneof(fc.constantFrom('not a url', 'ftp://example.com', 'javascript:alert(1)', 'http://'), notString);
  }
}

/** Values a query parameter of this kind must reject (always strings on the wire). */
function badQueryValue(kind: FieldKind): fc.Arbitrary<string> {
  const junk = fc.string({ minLength: 1, maxLength: 30 }).filter((value) => !Number.isFinite(Number(value)));
  switch (kind.kind) {
    case 'enum':
      return fc.oneof(
        fc.string({ maxLength: 20 }).filter((value) => !kind.values.includes(value)),
        fc.constant('x'.repeat(5000)),
      );
    case 'string':
      return fc.oneof(
        fc.string({ minLength: kind.max + 1, maxLength: kind.max + 40 }),
        ...(kind.min > 0 ? [fc.constant('')] : []),
      );
    case 'timestamp':
      return fc.oneof(
        fc.constantFrom('2025-13-45T99:99:99Z', 'yesterday', '2025-09-28T25:00:00Z', '2025-09-28T10:00:00+25:00'),
        junk.filter((value) => !/^\d{4}/.test(value)),
      );
    case 'int':
      return fc.oneof(
        fc.integer({ min: -2_000_000_000, max: kind.min - 1 }).map(String),
        fc.integer({ min: kind.max + 1, max: 2_000_000_000 }).map(String),
        fc.constantFrom(`${kind.min}.5`, '1e400', 'NaN', 'Infinity', '-0.5'),
        junk,
      );
    case 'number':
      return fc.oneof(
        fc.integer({ min: -2_000_000_000, max: kind.min - 1 }).map(String),
        fc.integer({ min: kind.max + 1, max: 2_000_000_000 }).map(String),
        fc.constantFrom('1e400', 'NaN', 'Infinity'),
        junk,
      );
    case 'domains':
      return fc.oneof(
        fc.constantFrom('tasks', 'task,', ',task', 'task,,ticket', 'TASK', 'task;ticket', 'unknown_domain'),
        fc.string({ minLength: 1, maxLength: 30 }).filter((value) => !DOMAIN_LIST.test(value)),
      );
    case 'cursor':
      return fc.oneof(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.constantFrom('eyJzIjotMX0', 'AAAA', '-1', 'x'.repeat(201)),
      );
    case 'uuid':
    case 'bool':
    case 'object':
    case 'array':
    case 'url':
      return junk;
  }
}

type Path = Array<string | number>;

function parsePath(path: string): Path {
  return path === ''
    ? []
    : path.split(/\.|(?=\[)/).map((part) => (part.startsWith('[') ? Number(part.slice(1, -1)) : part));
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, field: unknown) => {
    if (field instanceof RawJson) {
      raws.push(field.text);
      return `__raw_${raws.length - 1}__`;
    }
    return field;
  });
  return text.replace(/"__raw_(\d+)__"/g, (_match, index: string) => raws[Number(index)]);
}

function key(endpoint: Endpoint): string {
  return `${endpoint.method} ${endpoint.path}`;
}

function nullIsInvalid(endpoint: Endpoint, field: string): boolean {
  if (key(endpoint) === PUSH) return !field.endsWith('client_updated_at');
  return (REQUIRED_BODY_FIELDS[key(endpoint)] ?? []).includes(field);
}

/** One bad request for this endpoint: exactly one thing wrong with an otherwise valid request. */
function badRequests(endpoint: Endpoint, f: Fixture): fc.Arbitrary<BadRequest> {
  const options: Array<fc.Arbitrary<BadRequest>> = [];
  const validPath = requestPath(endpoint, f);
  const body = endpoint.body;
  if (body) {
    for (const [field, kind] of Object.entries(endpoint.bodyFields ?? {})) {
      const values = nullIsInvalid(endpoint, field)
        ? fc.oneof(badBodyValue(kind), fc.constant(null))
        : badBodyValue(kind);
      options.push(
        values.map((value) => ({
          what: `body.${field}`,
          path: validPath,
          body: serialize(setAt(body(f), parsePath(field), value)),
        })),
      );
    }
    for (const object of endpoint.closedObjects ?? []) {
      options.push(
        fc.tuple(fc.stringMatching(/^[a-z_]{1,16}$/), fc.jsonValue({ maxDepth: 2 })).map(([name, value]) => ({
          what: `unknown field in ${object || '(body)'}`,
          path: validPath,
          body: serialize(setAt(body(f), [...parsePath(object), `x_${name}`], value)),
        })),
      );
    }
    options.push(
      fc
        .constantFrom<unknown>([], [1, 2], 'a string', 42, true, nested(5000), nested(65))
        .map((value) => ({ what: 'body of the wrong shape', path: validPath, body: serialize(value) })),
      fc.nat().map((cut) => {
        const text = JSON.stringify(body(f));
        return { what: 'truncated JSON', path: validPath, body: text.slice(0, 1 + (cut % (text.length - 1))) };
      }),
      fc
        .constantFrom(
          (text: string) => text.replace(/"/g, "'"),
          (text: string) => `${text.slice(0, -1)},}`,
          (text: string) => `/* comment */${text}`,
          (text: string) => `${text}${text}`,
          (text: string) => text.replace(/:/, ': NaN, "x":'),
          () => '{"items": [}',
          () => '',
        )
        .map((corrupt) => ({ what: 'malformed JSON', path: validPath, body: corrupt(JSON.stringify(body(f))) })),
      fc
        .constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json-patch+json')
        .map((contentType) => ({
          what: `content-type ${contentType.split(';')[0]}`,
          path: validPath,
          body: JSON.stringify(body(f)),
          contentType,
        })),
    );
  }
  for (const [field, kind] of Object.entries(endpoint.queryFields ?? {})) {
    options.push(
      badQueryValue(kind).map((value) => ({
        what: `query.${field}`,
        path: requestPath(endpoint, f, { query: { ...endpoint.query?.(f), [field]: value } }),
        body: body ? JSON.stringify(body(f)) : undefined,
      })),
    );
  }
  if (endpoint.queryFields) {
    options.push(
      fc.stringMatching(/^[a-z_]{1,12}$/).map((name) => ({
        what: 'unknown query parameter',
        path: requestPath(endpoint, f, { query: { ...endpoint.query?.(f), [`x_${name}`]: '1' } }),
      })),
    );
    const [first] = Object.keys(endpoint.queryFields);
    const valid = endpoint.query?.(f)[first] ?? '1';
    options.push(
      fc.constant({
        what: 'repeated query parameter',
        path: `${requestPath(endpoint, f)}${validPath.includes('?') ? '&' : '?'}${first}=${encodeURIComponent(valid)}&${first}=${encodeURIComponent(valid)}`,
      }),
    );
  }
  for (const [name, spec] of Object.entries(endpoint.params ?? {})) {
    const values =
      typeof spec === 'string'
        ? fc.oneof(
            fc.string({ minLength: 1, maxLength: 40 }),
            fc.uuid().map((uuid) => uuid.slice(0, 35)),
            fc.uuid(),
            fc.constantFrom('x'.repeat(300), '0', '-1', '..', "' OR 1=1 --"),
          )
        : spec.kind.kind === 'enum'
          ? fc.oneof(
              fc.string({ minLength: 1, maxLength: 30 }).filter((value) => !DOMAINS.includes(value)),
              fc.constantFrom('TICKET', 'unknown_domain', 'x'.repeat(300)),
            )
          : badQueryValue(spec.kind).filter((value) => value !== '');
    options.push(
      values
        .filter((value) => typeof spec !== 'string' || value !== f.restorableConflictId)
        .map((value) => ({
          what: `path.${name}`,
          path: requestPath(endpoint, f, { params: { [name]: value } }),
          body: body ? JSON.stringify(body(f)) : undefined,
        })),
    );
    options.push(
      fc.constantFrom('%zz', '%', '%E0%A4%A').map((raw) => ({
        what: `malformed path.${name}`,
        path: endpoint.path.replace(`{${name}}`, raw).replace(/\{[^}]+\}/g, 'x'),
        body: body ? JSON.stringify(body(f)) : undefined,
      })),
    );
  }
  if (endpoint.device) {
    options.push(
      fc.constantFrom('x'.repeat(129), 'has space', 'tab\there', 'ünïcode').map((device) => ({
        what: 'bad X-Device-Id',
        path: validPath,
        body: body ? JSON.stringify(body(f)) : undefined,
        device,
      })),
    );
  }
  return options.length > 0 ? fc.oneof(...options) : fc.constant<BadRequest>({ what: 'none', path: '' });
}

function expectClientError(result: CallResult, request: BadRequest): void {
  const context = `${request.what} → ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`;
  expect([context, result.status >= 400 && result.status < 500]).toEqual([context, true]);
  expect([context, result.body]).toEqual([
    context,
    {
      error: {
        code: expect.any(String),
        message: expect.any(String),
        details: expect.any(Array),
        request_id: expect.any(String),
      },
    },
  ]);
  const text = JSON.stringify(result.body);
  expect([context, STACK_TRACE.test(text)]).toEqual([context, false]);
  expect([context, text.length < 20_000]).toEqual([context, true]);
}

function histogram(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

function delta(before: DbState, after: DbState): Record<string, number> {
  return Object.fromEntries(REQUEST_LOG_TABLES.map((table) => [table, after.counts[table] - before.counts[table]]));
}

describe('bad input never becomes a 500 or a change', () => {
  let t: TestApp;
  let f: Fixture;

  beforeAll(async () => {
    t = await startTestApp('fuzz', { RATE_LIMIT_PER_MINUTE: 1_000_000 });
    f = await seedTenant(t, 'fuzz');
  });
  afterAll(() => t.close());

  it('answers every fuzzed request to every endpoint with a 4xx and the error body, and changes no data', async () => {
    const before = await dbState(t.db);
    const statuses: number[] = [];
    const byEndpoint: string[] = [];
    const fuzzed = ENDPOINTS.filter((endpoint) => endpoint.body || endpoint.queryFields || endpoint.params);
    for (const endpoint of fuzzed) {
      const credential = endpoint.access === 'sync' ? f.tenant.syncKey : f.tenant.adminKey;
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(badRequests(endpoint, f), async (request) => {
          sent += 1;
          const result = await call(t, endpoint.method, request.path, {
            key: credential,
            device: request.device ?? (endpoint.device ? f.deviceId : undefined),
            body: request.body,
            headers: request.body !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {},
          });
          statuses.push(result.status);
          expectClientError(result, request);
        }),
        { seed: SEED, numRuns: RUNS_PER_ENDPOINT, endOnFailure: true },
      );
      byEndpoint.push(`${endpoint.method} ${endpoint.path}: ${sent}`);
    }
    const after = await dbState(t.db);
    process.stdout.write(
      `fuzz: seed ${SEED}, ${statuses.length} requests to ${fuzzed.length} endpoints ` +
        `(${ENDPOINTS.length - fuzzed.length} take no input), statuses ${JSON.stringify(histogram(statuses))}, ` +
        `request-log rows added ${JSON.stringify(delta(before, after))}, data tables unchanged ` +
        `(${Object.keys(after.checksums).length} checksummed, ${Object.keys(dataState(after).counts).length} counted)\n`,
    );
    expect(dataState(after)).toEqual(dataState(before));
    expect(after.counts.sync_event - before.counts.sync_event).toBeLessThanOrEqual(statuses.length);
  }, 120_000);

  it('stays healthy afterwards: the valid example of push still applies', async () => {
    const result = await call(t, 'POST', '/api/v1/sync/push', {
      key: f.tenant.syncKey,
      device: f.deviceId,
      body: { items: [pushItem({ data: taskData() })] },
    });
    expect(result.status).toBe(200);
    expect(result.body.results[0].status).toBe('applied');
  });

  it('accepts a push from a device whose clock is decades off (offsets past ±24.8 days overflowed: 400)', async () => {
    const item = pushItem({ client_updated_at: '1970-01-01T00:00:00Z' });
    const result = await call(t, 'POST', '/api/v1/sync/push', {
      key: f.tenant.syncKey,
      device: 'clock-reset',
      body: { items: [item], device_info: { device_time: '1970-01-01T00:00:05Z' } },
    });
    const [row] = await t.db.query(
      `SELECT clock_offset_ms::float8 AS offset FROM sync_queue_item WHERE client_mutation_id = $1`,
      [item.client_mutation_id],
    );
    process.stdout.write(`clock offset: device at 1970 → ${result.status}, stored offset ${row?.offset} ms\n`);
    expect(result.status).toBe(200);
    expect(result.body.results[0].status).toBe('applied');
    expect(row.offset).toBeLessThan(-1.7e12);
  });
});

describe('oversized and decompression-bomb bodies', () => {
  const LIMIT = 64 * 1024;
  let t: TestApp;
  let f: Fixture;

  beforeAll(async () => {
    t = await startTestApp('fuzz_size', { BODY_LIMIT_BYTES: LIMIT, RATE_LIMIT_PER_MINUTE: 1_000_000 });
    f = await seedTenant(t, 'size');
  });
  afterAll(() => t.close());

  async function send(body: Buffer, encoding?: string): Promise<CallResult> {
    const response = await fetch(`${t.url}/api/v1/sync/push`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${f.tenant.syncKey}`,
        'x-device-id': f.deviceId,
        'content-type': 'application/json',
        ...(encoding ? { 'content-encoding': encoding } : {}),
      },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text), headers: response.headers };
  }

  it('answers 413 with the error body, reading at most the limit, and stores nothing', async () => {
    const before = await dbState(t.db);
    const oversized = Buffer.from(JSON.stringify({ items: [pushItem({ data: { note: 'x'.repeat(LIMIT) } })] }));
    const bombText = Buffer.concat([
      Buffer.from('{"items":[{"client_mutation_id":"bomb","domain":"task","data":{"x":"'),
      Buffer.alloc(50 * 1024 * 1024, 'a'),
      Buffer.from('"}}]}'),
    ]);
    const gzipBomb = gzipSync(bombText, { level: 9 });
    const cases: Array<[string, Buffer, string | undefined]> = [
      ['plain JSON over the limit', oversized, undefined],
      ['gzip bomb', gzipBomb, 'gzip'],
      ['gzip inside gzip', gzipSync(gzipBomb), 'gzip, gzip'],
      ['deflate bomb', deflateSync(bombText, { level: 9 }), 'deflate'],
      ['brotli bomb', brotliCompressSync(bombText, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }), 'br'],
    ];
    const rssBefore = process.memoryUsage().rss;
    const figures: string[] = [];
    for (const [what, body, encoding] of cases) {
      const result = await send(body, encoding);
      figures.push(`${what} ${body.length} B → ${result.status}`);
      expect([what, result.status]).toEqual([what, 413]);
      expect(result.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', request_id: expect.any(String) });
    }
    const unsupported = await send(gzipBomb, 'compress');
    figures.push(`content-encoding compress → ${unsupported.status}`);
    expect(unsupported.status).toBe(415);
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    const after = await dbState(t.db);
    process.stdout.write(
      `body limits: limit ${LIMIT} B, decompressed bomb ${bombText.length} B; ${figures.join('; ')}; ` +
        `rss growth ${rssGrowthMb.toFixed(1)} MB\n`,
    );
    expect(dataState(after)).toEqual(dataState(before));
    const ok = await call(t, 'POST', '/api/v1/sync/push', {
      key: f.tenant.syncKey,
      device: f.deviceId,
      body: { items: [pushItem()] },
    });
    expect(ok.status).toBe(200);
  }, 60_000);
});
