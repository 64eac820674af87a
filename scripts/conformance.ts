/**
 * OpenAPI conformance: the built server behind Prism validation proxies (`prism proxy openapi.json <server>`), a
 * request set covering every operation of openapi.json through the `--errors` proxy, and the RxDB and WatermelonDB
 * adapters syncing two devices through a second proxy without `--errors` (so a flow goes on after a violation and
 * every answer's `sl-violations` is counted). Prints the violations grouped by cause and writes them to
 * test/artifacts/conformance.json. Exit code 1 when there is any violation, unless `--report` is given.
 *
 * Run after `npm run build`: `npm run test:conformance [-- --report]`. PostgreSQL when DATABASE_URL is set (a fresh
 * database, dropped afterwards), else the embedded database in a temporary folder.
 */
import { ChildProcess, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  causeOf,
  freePort,
  root,
  start as startProcess,
  Started,
  startProxy as startPrismProxy,
  Violation,
  violationsOf,
  waitFor,
} from './lib/processes';

const report = process.argv.includes('--report');
const JWT_SECRET = 'conformance-secret-conformance-secret-0123';

interface Observation {
  source: 'request-set' | 'rxdb' | 'watermelondb';
  /** A deliberately invalid request: Prism's request violations on it are expected, its answer is still checked. */
  invalid?: boolean;
  method: string;
  path: string;
  status: number;
  violations: Violation[];
}
const observations: Observation[] = [];
const children: ChildProcess[] = [];

function start(command: string, args: string[], env: Record<string, string>): Started {
  const started = startProcess(command, args, env);
  children.push(started.child);
  return started;
}

async function startProxy(upstream: string, errors: boolean): Promise<string> {
  const proxy = await startPrismProxy(upstream, errors);
  children.push(proxy.child);
  return proxy.url;
}

/** Records the violations Prism reports on an answer (header, and the body of its own 422/500 errors). */
function observingFetch(source: Observation['source'], invalid = false) {
  return async (input: Request | string, init?: RequestInit): Promise<Response> => {
    const request = typeof input === 'string' ? new Request(input, init) : input;
    const response = await fetch(request);
    const violations = violationsOf(response.headers);
    if (!response.headers.has('sl-violations') && response.headers.get('content-type')?.includes('problem+json')) {
      const body = (await response
        .clone()
        .json()
        .catch(() => null)) as { validation?: Violation[] } | null;
      violations.push(...(body?.validation ?? []));
    }
    const url = new URL(request.url);
    const counted = invalid ? violations.filter((violation) => violation.location?.[0] === 'response') : violations;
    observations.push({
      source,
      invalid,
      method: request.method,
      path: url.pathname,
      status: response.status,
      violations: counted,
    });
    return response;
  };
}

function cli(env: Record<string, string>, ...args: string[]): Record<string, string> {
  const out: string = execFileSync(process.execPath, [join(root, 'dist/src/cli.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const last = out.trim().split('\n').pop() ?? '';
  return last.startsWith('{') ? (JSON.parse(last) as Record<string, string>) : { output: last };
}

async function requestSet(
  base: string,
  observingBase: string,
  keys: { sync: string; admin: string; tenant: string },
): Promise<void> {
  const send = observingFetch('request-set');
  const sendInvalid = observingFetch('request-set', true);
  const json = (key: string, body?: unknown, device?: string): RequestInit => ({
    headers: {
      authorization: `Bearer ${key}`,
      ...(device ? { 'x-device-id': device } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const call = async (method: string, path: string, init: RequestInit = {}, invalid = false) => {
    const response = invalid
      ? await sendInvalid(`${observingBase}${path}`, { ...init, method })
      : await send(`${base}${path}`, { ...init, method });
    return response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
  };
  const id = randomUUID();
  const task = { jobdesc: 'Fire extinguisher check', jobstatus: 'ASSIGNED', remarks: '' };
  const item = (overrides: Record<string, unknown>) => ({
    client_mutation_id: randomUUID(),
    domain: 'task',
    mobile_id: id,
    base_version: 0,
    data: task,
    client_updated_at: new Date().toISOString(),
    ...overrides,
  });
  const { sync, admin } = keys;

  await call('GET', '/health/live');
  await call('GET', '/health/ready');
  await call('GET', '/metrics');
  await call('GET', '/api/v1/tenant', json(admin));
  await call('PATCH', '/api/v1/tenant', json(admin, { timezone: 'UTC' }));
  await call('GET', '/api/v1/api-keys', json(admin));
  const created = (await call('POST', '/api/v1/api-keys', json(admin, { scopes: ['sync'], name: 'conformance' }))) as {
    id?: string;
  };
  await call('DELETE', `/api/v1/api-keys/${created.id ?? randomUUID()}`, json(admin));

  await call('POST', '/api/v1/sync/push', json(sync, { items: [item({})] }, 'dev-1'));
  await call(
    'POST',
    '/api/v1/sync/push',
    json(sync, { items: [item({ base_version: 1, data: { ...task, remarks: 'a' } })] }, 'dev-1'),
  );
  await call(
    'POST',
    '/api/v1/sync/push',
    json(sync, { items: [item({ base_version: 1, data: { ...task, remarks: 'b' } })] }, 'dev-2'),
  );
  await call('POST', '/api/v1/sync/push', json(sync, { items: [item({ base_version: 9 })] }, 'dev-2'));
  await call(
    'POST',
    '/api/v1/sync/push',
    json(sync, { items: [item({ mobile_id: randomUUID() })], mode: 'enqueue' }, 'dev-3'),
  );
  await call('POST', '/api/v1/sync/push', json(sync, { items: [{ domain: 'task' }] }, 'dev-1'), true);
  await call('POST', '/api/v1/sync/push', json(sync, { items: [item({})] }), true);
  await call('GET', '/api/v1/sync/pull?limit=2', json(sync, undefined, 'dev-1'));
  await call('GET', '/api/v1/sync/pull?domains=task,ticket', json(sync, undefined, 'dev-1'));
  await call('GET', '/api/v1/sync/pull?cursor=not-a-cursor', json(sync, undefined, 'dev-1'), true);
  await call('POST', '/api/v1/sync/pull', json(sync, { delta: true, known_versions: { [id]: 1 } }, 'dev-1'));
  await call('POST', '/api/v1/sync/pull', json(sync, { domains: ['task'] }, 'dev-1'));
  await call('POST', '/api/v1/sync/pull', json(sync, undefined, 'dev-1'));
  await call('POST', '/api/v1/sync/pull', json(sync, { domains: ['task', 'nonsense'] }, 'dev-1'), true);
  await call('GET', '/api/v1/sync/snapshot?limit=2', json(sync, undefined, 'dev-1'));
  await call('GET', '/api/v1/sync/snapshot?cursor=not-a-cursor', json(sync, undefined, 'dev-1'), true);
  await call('GET', '/api/v1/sync/devices?limit=5', json(admin));
  // The stream is endless when it opens: only its refusal goes through the proxy.
  await call('GET', '/api/v1/sync/changes/stream?cursor=not-a-cursor', json(sync, undefined, 'dev-1'), true);
  await call('GET', '/api/v1/sync/queue-status', json(sync, undefined, 'dev-3'));
  await call(
    'POST',
    '/api/v1/sync/partial',
    json(sync, { priority: 'low', max_items: 5, network_quality: 'good' }, 'dev-3'),
  );
  await call('GET', '/api/v1/sync/optimal-time', json(sync, undefined, 'dev-1'));
  await call('GET', '/api/sync/device-health?device_id=dev-1', json(sync));
  await call('GET', '/api/sync/device-health', json(sync), true);
  await call('GET', '/api/sync/device-health?device_id=nobody', json(sync), true);

  const resolved = (await call(
    'POST',
    '/api/v1/conflicts/resolve',
    json(
      sync,
      { domain: 'ticket', server_entry: { status: 'OPEN', escalation_level: 1 }, client_entry: { status: 'CLOSED' } },
      'dev-1',
    ),
  )) as { conflict_id?: string };
  await call(
    'POST',
    '/api/v1/conflicts/resolve',
    json(sync, { domain: 'unknown', server_entry: {}, client_entry: {} }, 'dev-1'),
  );
  await call('POST', '/api/v1/conflicts/resolve', json(sync, { domain: 'ticket' }, 'dev-1'), true);
  await call('GET', '/api/v1/conflict-policies', json(admin));
  await call(
    'PUT',
    '/api/v1/conflict-policies/task',
    json(admin, { resolution_policy: 'manual', auto_resolve: false, notify_on_conflict: false }),
  );
  await call(
    'PUT',
    '/api/v1/conflict-policies/task',
    json(admin, { resolution_policy: 'manual', auto_resolve: true, notify_on_conflict: false }),
    true,
  );
  await call(
    'POST',
    '/api/v1/sync/push',
    json(sync, { items: [item({ base_version: 1, data: { ...task, jobstatus: 'STANDBY' } })] }, 'dev-4'),
  );
  await call('DELETE', '/api/v1/conflict-policies/task', json(admin));
  await call('DELETE', '/api/v1/conflict-policies/task', json(admin));
  const list = (await call('GET', '/api/v1/conflicts?limit=10', json(admin))) as {
    items?: Array<{ id: string; result: string }>;
  };
  await call('GET', '/api/v1/conflicts?since=yesterday', json(admin), true);
  const manual = list.items?.find((entry) => entry.result === 'manual_required');
  const automatic = list.items?.find((entry) => entry.result !== 'manual_required');
  await call('GET', `/api/v1/conflicts/${resolved.conflict_id ?? randomUUID()}`, json(admin));
  await call('GET', `/api/v1/conflicts/${randomUUID()}`, json(admin), true);
  await call('POST', `/api/v1/conflicts/${manual?.id ?? randomUUID()}/resolve`, json(admin, { choose: 'server' }));
  await call('POST', `/api/v1/conflicts/${manual?.id ?? randomUUID()}/resolve`, json(admin, { choose: 'server' }));
  await call('POST', `/api/v1/conflicts/${automatic?.id ?? randomUUID()}/restore`, json(admin));
  await call('GET', '/api/v1/conflicts/hotspots?days=7', json(admin));
  await call('GET', '/api/v1/conflicts/hotspots?days=zero', json(admin), true);
  await call('GET', '/api/v1/conflicts/report?days=7', json(admin));

  await call('GET', '/api/sync/dashboard', json(admin));
  await call('POST', '/api/sync/snapshot/create', json(admin, { time_window_hours: 1 }));
  await call('POST', '/api/sync/snapshot/create', json(admin, { time_window_hours: 0 }), true);
  await call('GET', '/api/sync/dashboard', json(admin));
  await call('GET', '/api/v1/analytics/snapshots', json(admin));
  await call('GET', '/api/v1/analytics/devices?max_health=100', json(admin));
  await call('GET', '/api/v1/analytics/alerts?status=open', json(admin));

  await call(
    'POST',
    '/api/v1/bandwidth/compress',
    json(sync, { data: { text: 'x'.repeat(2000) }, compression_level: 'always' }),
  );
  await call(
    'POST',
    '/api/v1/bandwidth/delta',
    json(sync, { server_version: { a: 1, b: 2 }, client_version: { a: 1, b: 3 } }),
  );
  await call(
    'POST',
    '/api/v1/bandwidth/batches',
    json(sync, { items: [{ id: 1 }, { id: 2 }], network_quality: 'poor' }),
  );
  await call(
    'POST',
    '/api/v1/bandwidth/prioritize',
    json(sync, { items: [{ priority: 'low' }, { priority: 'high' }] }),
  );
  await call('POST', '/api/v1/bandwidth/prioritize', json(sync, { items: 'none' }), true);

  await call(
    'PUT',
    '/api/v1/users/user-9',
    json(admin, { display_name: 'Nine', memberships: [{ group: 'site:58', role: 'member' }] }),
  );
  await call('GET', '/api/v1/users/user-9', json(admin));
  await call('GET', '/api/v1/users/nobody', json(admin), true);
  await call('GET', '/api/v1/users?limit=10', json(admin));
  await call('GET', '/api/v1/sync-rules', json(admin));
  await call('PUT', '/api/v1/sync-rules', json(admin, { rules: { journal: { users: ['user'] } } }));
  await call('PUT', '/api/v1/sync-rules', json(admin, { rules: { journal: { nonsense: true } } }), true);
  await call('DELETE', '/api/v1/sync-rules', json(admin));
  await call('GET', `/api/v1/sync-rules/explain?user_id=user-1&domain=task&mobile_id=${id}`, json(admin));
  await call('GET', '/api/v1/schemas', json(admin));
  await call('PUT', '/api/v1/schemas/journal', json(admin, { version: 1, json_schema: { type: 'object' } }));
  await call('PUT', '/api/v1/schemas/journal', json(admin, { version: 7, json_schema: { type: 'object' } }), true);
  await call('GET', '/api/v1/schemas/journal', json(admin));
  await call('GET', '/api/v1/invariants', json(admin));
  await call('PUT', '/api/v1/invariants/task_jobstatus', json(admin, { enabled: true }));
  await call('PUT', '/api/v1/invariants/no_such_rule', json(admin, { enabled: true }), true);

  await call('GET', '/api/v1/sync/queue-status', {}, true);
  await call('GET', '/api/v1/tenant', json(sync), true);
}

async function clientFlows(base: string, key: string): Promise<void> {
  // Loaded here so a failing import names this step; both are the adapters of clients/.
  const { createRxDatabase } = await import('rxdb');
  const { getRxStorageMemory } = await import('rxdb/plugins/storage-memory');
  const rx = await import('../clients/rxdb');
  const wm = await import('../clients/watermelondb');
  const { Database, Model, appSchema, tableSchema } = await import('@nozbe/watermelondb');
  const { default: LokiJSAdapter } = await import('@nozbe/watermelondb/adapters/lokijs');
  const { default: logger } = await import('@nozbe/watermelondb/utils/common/logger');
  logger.silence();

  const rxClient = (device: string) =>
    rx.createFieldsyncClient({ baseUrl: base, credential: key, deviceId: device, fetch: observingFetch('rxdb') });
  const schema = {
    version: 0,
    primaryKey: 'mobile_id',
    type: 'object',
    properties: {
      mobile_id: { type: 'string', maxLength: 36 },
      version: { type: 'number' },
      jobstatus: { type: 'string' },
      remarks: { type: 'string' },
      updated_at: { type: 'string' },
    },
    required: ['mobile_id'],
  } as const;
  const id = randomUUID();
  const rxDevices = await Promise.all(
    ['rx-a', 'rx-b'].map(async (name) => {
      const db = await createRxDatabase({
        name: `${name}-${randomUUID()}`,
        storage: getRxStorageMemory(),
        multiInstance: false,
      });
      const { tasks } = await db.addCollections({ tasks: { schema } });
      const shadow = rx.memoryShadowStore();
      const client = rxClient(name);
      const sync = async () => {
        const state = rx.replicateFieldsync({
          collection: tasks,
          client,
          domain: 'task',
          shadow,
          live: false,
          retryTime: 200,
        });
        await Promise.race([state.awaitInitialReplication(), new Promise((done) => setTimeout(done, 10_000))]);
        await state.cancel();
      };
      return { db, tasks, sync };
    }),
  );
  const [ra, rb] = rxDevices;
  await ra.tasks.insert({
    mobile_id: id,
    version: 0,
    jobstatus: 'ASSIGNED',
    remarks: '',
    updated_at: new Date().toISOString(),
  });
  await ra.sync();
  await rb.sync();
  await (await ra.tasks.findOne(id).exec())?.incrementalPatch({ remarks: 'a', updated_at: new Date().toISOString() });
  await (
    await rb.tasks.findOne(id).exec()
  )?.incrementalPatch({ jobstatus: 'INPROGRESS', updated_at: new Date().toISOString() });
  await ra.sync();
  await rb.sync();
  await (await ra.tasks.findOne(id).exec())?.remove();
  await ra.sync();
  await rb.sync();
  for (const device of rxDevices) await device.db.close();

  class Ticket extends Model {
    static override table = 'tickets';
  }
  const wmSchema = appSchema({
    version: 1,
    tables: [
      tableSchema({
        name: 'tickets',
        columns: [
          { name: 'status', type: 'string', isOptional: true },
          { name: 'comments', type: 'string', isOptional: true },
          { name: 'updated_at', type: 'number' },
        ],
      }),
    ],
  });
  const ticketId = randomUUID();
  const wmDevices = ['wm-a', 'wm-b'].map((name) => {
    const database = new Database({
      adapter: new LokiJSAdapter({
        schema: wmSchema,
        dbName: `${name}-${randomUUID()}`,
        useWebWorker: false,
        useIncrementalIndexedDB: false,
      }),
      modelClasses: [Ticket],
    });
    const adapter = wm.fieldsyncWatermelon({
      database,
      client: wm.createFieldsyncClient({
        baseUrl: base,
        credential: key,
        deviceId: name,
        fetch: observingFetch('watermelondb'),
      }),
      tables: { tickets: 'ticket' },
    });
    const edit = (values: Record<string, string>) =>
      database.write(async () => {
        const record = await database.get<Ticket>('tickets').find(ticketId);
        await record.update((r) => {
          for (const [column, value] of Object.entries(values)) r._setRaw(column, value);
          r._setRaw('updated_at', Date.now());
        });
      });
    return {
      database,
      sync: () => adapter.sync().catch((error: unknown) => console.error(`${name}: ${String(error)}`)),
      edit,
    };
  });
  const [wa, wb] = wmDevices;
  await wa.database.write(async () => {
    await wa.database.get<Ticket>('tickets').create((r) => {
      r._raw.id = ticketId;
      r._setRaw('status', 'OPEN');
      r._setRaw('updated_at', Date.now());
    });
  });
  await wa.sync();
  await wb.sync();
  await wa.edit({ comments: 'on site' });
  await wb.edit({ status: 'INPROGRESS' });
  await wa.sync();
  await wb.sync();
  await wa.database.write(async () => (await wa.database.get<Ticket>('tickets').find(ticketId)).markAsDeleted());
  await wa.sync();
  await wb.sync();
}

async function main(): Promise<void> {
  const env: Record<string, string> = { JWT_SECRET, SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'warn' };
  let dropDatabase: (() => Promise<void>) | null = null;
  let dataDir: string | null = null;
  if (process.env.DATABASE_URL) {
    const name = `fieldsync_conformance_${process.pid}`;
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    dropDatabase = async () => {
      const client = new Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'fieldsync-conformance-'));
    env.DATA_DIR = dataDir;
  }
  try {
    cli(env, 'migration:run');
    const tenant = cli(env, 'tenant:create', '--name', 'conformance');
    const sync = cli(
      env,
      'apikey:create',
      '--tenant',
      tenant.tenant_id,
      '--scopes',
      'sync',
      '--user',
      'user-1',
    ).api_key;
    const admin = cli(
      env,
      'apikey:create',
      '--tenant',
      tenant.tenant_id,
      '--scopes',
      'admin',
      '--user',
      'admin',
    ).api_key;
    const port = await freePort();
    const server = start(process.execPath, [join(root, 'dist/src/main.js')], { ...env, PORT: String(port) });
    const upstream = `http://127.0.0.1:${port}`;
    await waitFor(`${upstream}/health/ready`, server.child, server.output);
    const [strict, observing] = await Promise.all([startProxy(upstream, true), startProxy(upstream, false)]);

    await requestSet(strict, observing, { sync, admin, tenant: tenant.tenant_id });
    await clientFlows(observing, sync);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((done) => setTimeout(done, 500));
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  const documented = Object.entries(
    (JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> })
      .paths,
  ).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
  const causes = new Map<string, { count: number; answers: Set<string>; sources: Set<string> }>();
  for (const observation of observations) {
    for (const violation of observation.violations) {
      const cause = causeOf(violation);
      const entry = causes.get(cause) ?? { count: 0, answers: new Set(), sources: new Set() };
      entry.count += 1;
      entry.answers.add(
        `${observation.method} ${observation.path.replace(/[0-9a-f-]{36}/g, '{id}')} → ${observation.status}`,
      );
      entry.sources.add(observation.source);
      causes.set(cause, entry);
    }
  }
  const missed = documented.filter((operation) => {
    const [method, path] = operation.split(' ');
    const pattern = new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}/?$`);
    return !observations.some((o) => o.method === method && pattern.test(o.path));
  });
  const total = [...causes.values()].reduce((sum, entry) => sum + entry.count, 0);
  const summary = {
    requests: observations.length,
    with_violations: observations.filter((o) => o.violations.length > 0).length,
    violations: total,
    documented_operations: documented.length,
    not_exercised: missed,
    causes: [...causes.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([cause, entry]) => ({
        cause,
        count: entry.count,
        sources: [...entry.sources],
        answers: [...entry.answers].sort(),
      })),
  };
  mkdirSync(join(root, 'test/artifacts'), { recursive: true });
  writeFileSync(join(root, 'test/artifacts/conformance.json'), JSON.stringify({ summary, observations }, null, 2));
  console.log(`Prism: ${summary.requests} requests, ${summary.with_violations} with violations, ${total} violations`);
  console.log(`Operations: ${documented.length} documented, not exercised: ${missed.join(', ') || 'none'}`);
  for (const entry of summary.causes) {
    console.log(`\n${entry.count} × ${entry.cause}\n    [${entry.sources.join(', ')}] ${entry.answers.join('; ')}`);
  }
  // RxDB and Loki keep timers alive; the run is over.
  process.exit(total > 0 && !report ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  for (const child of children) child.kill('SIGKILL');
  process.exit(2);
});
