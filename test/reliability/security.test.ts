import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app.setup';
import { AppConfig } from '../../src/config/app-config';
import { hashApiKey, TenantService } from '../../src/modules/tenant/tenant.service';
import { pushItem } from '../factories/records';
import { startServerProcess } from '../helpers/server-process';
import { call, CallResult, startTestApp, TEST_JWT_SECRET, TestApp } from '../helpers/test-app';
import { databaseEnv, usingPostgres } from '../helpers/test-database';
import { Endpoint, ENDPOINTS, Fixture, ownedIdValue, requestPath, seedTenant } from './endpoints';

const PROTECTED = ENDPOINTS.filter((endpoint) => endpoint.access !== 'public');

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Every piece of tenant A's data another caller must never see. */
function secretsOf(f: Fixture): string[] {
  return [f.marker, f.restorableConflictId, f.manualConflictId, f.apiKeyId, ...f.mobileIds, f.tenant.adminKey];
}

function leaked(result: CallResult, secrets: string[]): string[] {
  const text = typeof result.body === 'string' ? result.body : JSON.stringify(result.body ?? '');
  return secrets.filter((secret) => text.includes(secret));
}

function expectError(result: CallResult, status: number, code: string, context: string): void {
  expect([context, result.status]).toEqual([context, status]);
  expect([context, result.body]).toEqual([
    context,
    { error: { code, message: expect.any(String), details: expect.any(Array), request_id: expect.any(String) } },
  ]);
}

/** Row checksums of one tenant's data (request-log tables excluded). */
async function tenantState(db: DataSource, tenantId: string): Promise<Record<string, string>> {
  const tables: Array<{ table_name: string }> = await db.query(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'tenant_id'
        AND table_name NOT IN ('sync_event', 'sync_device_health') ORDER BY table_name`,
  );
  const state: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const [row] = await db.query(
      `SELECT count(*)::int AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS sum
         FROM "${table}" t WHERE tenant_id = $1`,
      [tenantId],
    );
    state[table] = `${row.n}:${row.sum}`;
  }
  return state;
}

describe('credential × endpoint matrix', () => {
  let t: TestApp;
  let a: Fixture;
  let b: Fixture;
  let credentials: Array<{ name: string; header: string | undefined }>;

  beforeAll(async () => {
    t = await startTestApp('security', { RATE_LIMIT_PER_MINUTE: 1_000_000 });
    a = await seedTenant(t, 'a');
    b = await seedTenant(t, 'b');
    const revokedAdmin = await call(t, 'POST', '/api/v1/api-keys', {
      key: a.tenant.adminKey,
      body: { name: 'to revoke', scopes: ['admin'] },
    });
    const revoked = await call(t, 'DELETE', `/api/v1/api-keys/${revokedAdmin.body.id}`, { key: a.tenant.adminKey });
    expect(revoked.status).toBe(204);
    const claims = { tid: a.tenant.id, scope: 'sync admin' };
    credentials = [
      { name: 'no credential', header: undefined },
      { name: 'Basic scheme', header: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      { name: 'Bearer without credential', header: 'Bearer ' },
      { name: 'two credentials', header: `Bearer ${a.tenant.adminKey} ${a.tenant.adminKey}` },
      { name: 'unknown API key', header: `Bearer fsk_${'0'.repeat(40)}` },
      { name: 'over-long API key', header: `Bearer fsk_${'a'.repeat(300)}` },
      { name: 'revoked API key', header: `Bearer ${revokedAdmin.body.api_key}` },
      { name: 'expired JWT', header: `Bearer ${t.token(a.tenant.id, 'user-1', 'sync admin', -60)}` },
      {
        name: 'JWT signed with another secret',
        header: `Bearer ${jwt.sign(claims, 'another-secret-another-secret-0123', { subject: 'user-1', expiresIn: 600 })}`,
      },
      {
        name: 'JWT with alg none',
        header: `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 600 })}.`,
      },
      {
        name: 'JWT signed HS512 with the right secret',
        header: `Bearer ${jwt.sign(claims, TEST_JWT_SECRET, { subject: 'user-1', expiresIn: 600, algorithm: 'HS512' })}`,
      },
      {
        name: 'JWT of an unknown tenant',
        header: `Bearer ${jwt.sign({ tid: '987654321', scope: 'admin' }, TEST_JWT_SECRET, { subject: 'u', expiresIn: 600 })}`,
      },
      {
        name: 'JWT without scope',
        header: `Bearer ${jwt.sign({ tid: a.tenant.id }, TEST_JWT_SECRET, { subject: 'u', expiresIn: 600 })}`,
      },
    ];
  });
  afterAll(() => t.close());

  async function send(endpoint: Endpoint, f: Fixture, authorization: string | undefined, ids: Fixture = f) {
    const query = endpoint.query?.(f);
    for (const [name, id] of Object.entries(endpoint.ownedQuery ?? {})) if (query) query[name] = ownedIdValue(ids, id);
    const params = Object.fromEntries(
      Object.entries(endpoint.params ?? {})
        .filter(([, spec]) => typeof spec === 'string')
        .map(([name, spec]) => [name, ownedIdValue(ids, spec as Parameters<typeof ownedIdValue>[1])]),
    );
    return call(t, endpoint.method, requestPath(endpoint, f, { params, query }), {
      device: endpoint.device ? f.deviceId : undefined,
      body: endpoint.body?.(ids),
      headers: authorization === undefined ? {} : { authorization },
    });
  }

  const unknownIds = {
    restorableConflictId: '00000000-0000-4000-8000-000000000001',
    manualConflictId: '00000000-0000-4000-8000-000000000002',
    apiKeyId: '00000000-0000-4000-8000-000000000003',
    deviceId: 'device-that-exists-nowhere',
  };

  function ownedIdsOf(endpoint: Endpoint, f: Fixture): string[] {
    const ids = [...Object.values(endpoint.ownedQuery ?? {}), ...Object.values(endpoint.params ?? {})];
    return ids.filter((id) => typeof id === 'string').map((id) => ownedIdValue(f, id));
  }

  it('answers 401, 403 or 404 with the error body and none of tenant A’s data, and changes nothing of A', async () => {
    const before = await tenantState(t.db, a.tenant.id);
    const secrets = secretsOf(a);
    const cells: Record<string, number> = {};
    const count = (name: string): void => void (cells[name] = (cells[name] ?? 0) + 1);

    for (const endpoint of PROTECTED) {
      const context = `${endpoint.method} ${endpoint.path}`;
      for (const credential of credentials) {
        const result = await send(endpoint, a, credential.header);
        expectError(result, 401, 'UNAUTHORIZED', `${context} with ${credential.name}`);
        expect([context, leaked(result, secrets)]).toEqual([context, []]);
        count(`401 ${credential.name}`);
      }
      if (endpoint.access === 'admin') {
        for (const [name, header] of [
          ['sync API key', `Bearer ${a.tenant.syncKey}`],
          ['sync JWT', `Bearer ${t.token(a.tenant.id, 'user-1', 'sync')}`],
        ]) {
          const result = await send(endpoint, a, header);
          expectError(result, 403, 'FORBIDDEN', `${context} with ${name}`);
          expect([context, leaked(result, secrets)]).toEqual([context, []]);
          count(`403 ${name} on admin endpoint`);
        }
      }
      // Tenant B's own credential, with tenant A's ids wherever the endpoint takes one.
      if (endpoint.stream) continue;
      const owned =
        Object.keys(endpoint.ownedQuery ?? {}).length > 0 ||
        Object.values(endpoint.params ?? {}).some((spec) => typeof spec === 'string');
      const bKeys = endpoint.access === 'admin' ? [b.tenant.adminKey] : [b.tenant.syncKey, b.tenant.adminKey];
      for (const bKey of bKeys) {
        const result = await send(endpoint, b, `Bearer ${bKey}`, owned ? a : b);
        const who = bKey === b.tenant.adminKey ? 'B admin' : 'B sync';
        let requested: string[] = [];
        if (owned) {
          expectError(result, 404, 'NOT_FOUND', `${context} by ${who} with A's ids`);
          // The 404 may name the id the caller sent, and must read exactly as for an id that exists nowhere.
          requested = ownedIdsOf(endpoint, a);
          const unknown = await send(endpoint, b, `Bearer ${bKey}`, { ...a, ...unknownIds });
          const masked = (body: CallResult['body'], ids: string[]): string =>
            ids.reduce((text, id) => text.split(id).join('<id>'), String(body.error.message));
          expect([context, masked(result.body, requested)]).toEqual([
            context,
            masked(unknown.body, ownedIdsOf(endpoint, { ...a, ...unknownIds })),
          ]);
          count(`404 ${who} with A's ids`);
        } else {
          expect([context, result.status < 300]).toEqual([context, true]);
          count(`2xx ${who} on its own tenant`);
        }
        const notRequested = secrets.filter((secret) => !requested.includes(secret));
        expect([`${context} by ${who}`, leaked(result, notRequested)]).toEqual([`${context} by ${who}`, []]);
      }
    }
    for (const endpoint of ENDPOINTS.filter((entry) => entry.access === 'public' && entry.path !== '/docs')) {
      const result = await call(t, endpoint.method, endpoint.path);
      expect([endpoint.path, leaked(result, secrets)]).toEqual([endpoint.path, []]);
      count('public endpoint without A data');
    }

    const after = await tenantState(t.db, a.tenant.id);
    const total = Object.values(cells).reduce((sum, n) => sum + n, 0);
    process.stdout.write(
      `security matrix: ${PROTECTED.length} protected endpoints × ${credentials.length} bad credentials, ` +
        `${total} requests: ${JSON.stringify(cells)}; tenant A rows unchanged in ${Object.keys(after).length} tables\n`,
    );
    expect(after).toEqual(before);
  }, 120_000);

  it('serves every endpoint to the right credential (the table’s examples are valid)', async () => {
    const statuses: Record<string, number> = {};
    for (const endpoint of PROTECTED.filter((entry) => !entry.stream)) {
      const key = endpoint.access === 'admin' ? a.tenant.adminKey : a.tenant.syncKey;
      const result = await send(endpoint, a, `Bearer ${key}`);
      statuses[`${endpoint.method} ${endpoint.path}`] = result.status;
    }
    process.stdout.write(`right credential: ${JSON.stringify(statuses)}\n`);
    for (const [route, status] of Object.entries(statuses)) expect([route, status < 300]).toEqual([route, true]);
  });
});

/** Row checksums of what one user of a tenant owns through its devices, and of the given records. */
async function userState(db: DataSource, f: Fixture): Promise<Record<string, string>> {
  const rows = (await Promise.all([
    db.query(
      `SELECT 'queue' AS part, md5(coalesce(string_agg(q::text, ',' ORDER BY q.id), '')) AS sum
       FROM sync_queue_item q WHERE tenant_id = $1 AND user_id = $2`,
      [f.tenant.id, f.userId],
    ),
    db.query(
      `SELECT 'health' AS part, md5(coalesce(string_agg(h::text, ',' ORDER BY h.device_id), '')) AS sum
       FROM sync_device_health h WHERE tenant_id = $1 AND user_id = $2`,
      [f.tenant.id, f.userId],
    ),
    db.query(
      `SELECT 'records' AS part, md5(coalesce(string_agg(r::text, ',' ORDER BY r.mobile_id), '')) AS sum
       FROM sync_record r WHERE tenant_id = $1 AND mobile_id = ANY($2::uuid[])`,
      [f.tenant.id, f.mobileIds],
    ),
  ])) as Array<Array<{ part: string; sum: string }>>;
  return Object.fromEntries(rows.flat().map((row) => [row.part, row.sum]));
}

describe('users within a tenant: the sync write endpoints', () => {
  let t: TestApp;
  let a: Fixture;

  beforeAll(async () => {
    t = await startTestApp('security_users', { RATE_LIMIT_PER_MINUTE: 1_000_000 });
    a = await seedTenant(t, 'a');
  });
  afterAll(() => t.close());

  it('lets a second user of the tenant, on the first one’s device id, change and see nothing of the first', async () => {
    const key = await a.tenant.syncKeyFor('user-2');
    const before = await userState(t.db, a);
    const secrets = [a.marker, ...a.mobileIds];
    const cells: Record<string, number> = {};
    const device = a.deviceId;
    // The write side and its device endpoints; pull is the read side's (scoped feeds).
    const sync = ENDPOINTS.filter(
      (endpoint) =>
        endpoint.access === 'sync' &&
        (endpoint.device || endpoint.ownedQuery) &&
        !endpoint.path.startsWith('/api/v1/sync/pull'),
    );
    // The device-health read first: before user-2 syncs anything, that device id is only user-1's.
    sync.sort((x, y) => Number(!x.ownedQuery) - Number(!y.ownedQuery));
    for (const endpoint of sync) {
      const context = `${endpoint.method} ${endpoint.path} by user-2`;
      const result = await call(t, endpoint.method, requestPath(endpoint, a), {
        key,
        device: endpoint.device ? device : undefined,
        body: endpoint.body?.(a),
      });
      expect([context, leaked(result, secrets)]).toEqual([context, []]);
      if (endpoint.ownedQuery) {
        expectError(result, 404, 'NOT_FOUND', context);
        count('404 on the first user’s device');
      } else {
        expect([context, result.status]).toEqual([context, 200]);
        count('2xx on its own device of that id');
      }
    }
    const status = await call(t, 'GET', '/api/v1/sync/queue-status', { key, device });
    expect(status.body).toMatchObject({ pending_items: 0 });
    // Edits, deletions and a replayed mutation id of the first user's records: refused, no copy sent back.
    const [task, journal] = a.mobileIds;
    const edits = await call(t, 'POST', '/api/v1/sync/push', {
      key,
      device,
      body: {
        items: [
          pushItem({ mobile_id: task, base_version: 3, data: { remarks: 'taken over' } }),
          pushItem({ domain: 'journal', mobile_id: journal, base_version: 2, data: { title: 'mine' } }),
          pushItem({ mobile_id: task, base_version: 0, data: {}, deleted: true }),
        ],
      },
    });
    expect(edits.status).toBe(200);
    for (const result of edits.body.results) {
      expect(result).toMatchObject({ status: 'rejected', record: null, error: { code: 'RECORD_FORBIDDEN' } });
      count('RECORD_FORBIDDEN on the first user’s record');
    }
    expect(leaked(edits, [a.marker])).toEqual([]);
    expect(await userState(t.db, a)).toEqual(before);
    process.stdout.write(`users within a tenant: ${JSON.stringify(cells)}\n`);

    function count(name: string): void {
      cells[name] = (cells[name] ?? 0) + 1;
    }
  });
});

describe('rate limiting per credential', () => {
  const LIMIT = 5;
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('security_rate', { RATE_LIMIT_PER_MINUTE: LIMIT });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After and the error body past the limit, for that credential only', async () => {
    const tenant = await t.createTenant();
    const key = tenant.syncKey;
    const statuses: number[] = [];
    for (let n = 0; n < LIMIT; n++) {
      statuses.push((await call(t, 'GET', '/api/v1/sync/queue-status', { key, device: 'd1' })).status);
    }
    const limited = await call(t, 'POST', '/api/v1/sync/push', {
      key,
      device: 'd1',
      body: { items: [pushItem({ client_mutation_id: 'limited' })] },
    });
    const other = await call(t, 'GET', '/api/v1/sync/queue-status', { key: tenant.adminKey });
    const token = await call(t, 'GET', '/api/v1/sync/queue-status', {
      key: t.token(tenant.id, 'user-1', 'sync'),
      device: 'd1',
    });
    const [stored] = await t.db.query(
      `SELECT count(*)::int AS n FROM sync_queue_item WHERE client_mutation_id = 'limited'`,
    );
    const retryAfter = Number(limited.headers.get('retry-after'));
    process.stdout.write(
      `rate limit: ${LIMIT}/min; first ${LIMIT} → ${JSON.stringify(statuses)}, next → ${limited.status} ` +
        `(Retry-After ${retryAfter}s), other key → ${other.status}, JWT of the same user → ${token.status}\n`,
    );
    expect(statuses).toEqual(Array(LIMIT).fill(200));
    expectError(limited, 429, 'RATE_LIMITED', 'over the limit');
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(stored.n).toBe(0);
    expect(other.status).toBe(200);
    expect(token.status).toBe(200);
  });
});

describe('API keys and tokens never reach the logs', () => {
  it('logs requests with good, bad and revoked credentials without the credential or its hash', async () => {
    let setup: TestApp | undefined;
    let dataDir: string | undefined;
    let env: Record<string, string>;
    let tenantId: string;
    let adminKey: string;
    let revokedKey: string;
    if (usingPostgres) {
      setup = await startTestApp('security_logs');
      const tenant = await setup.createTenant();
      tenantId = tenant.id;
      adminKey = tenant.adminKey;
      revokedKey = (await setup.app.get(TenantService).createApiKey(tenant.id, ['sync'], 'u', 'revoked')).key;
      env = databaseEnv(setup.database);
    } else {
      // The embedded database lives in one process: prepare a folder, then hand it to the server process.
      dataDir = mkdtempSync(join(tmpdir(), 'fieldsync-logs-'));
      const config = AppConfig.fromEnv(
        { JWT_SECRET: TEST_JWT_SECRET, SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'silent' },
        { DATABASE_URL: undefined, DATA_DIR: dataDir },
      );
      const app = await createApp({ config, embeddedDir: dataDir, logger: false });
      const tenants = app.get(TenantService);
      const tenant = await tenants.createTenant('logs', 'UTC');
      tenantId = tenant.id;
      adminKey = (await tenants.createApiKey(tenant.id, ['admin'], 'admin', 'admin')).key;
      revokedKey = (await tenants.createApiKey(tenant.id, ['sync'], 'u', 'revoked')).key;
      await app.close();
      env = { DATA_DIR: dataDir };
    }
    const server = await startServerProcess({ ...env, LOG_LEVEL: 'trace', JWT_SECRET: TEST_JWT_SECRET });
    try {
      const request = async (path: string, authorization: string, init: RequestInit = {}): Promise<Response> =>
        fetch(`${server.url}${path}`, { ...init, headers: { authorization, ...(init.headers ?? {}) } });
      const keys = await request('/api/v1/api-keys', `Bearer ${adminKey}`);
      const revokedId = ((await keys.json()) as Array<{ id: string; name: string }>).find(
        (key) => key.name === 'revoked',
      )!.id;
      expect((await request(`/api/v1/api-keys/${revokedId}`, `Bearer ${adminKey}`, { method: 'DELETE' })).status).toBe(
        204,
      );
      const created = await request('/api/v1/api-keys', `Bearer ${adminKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'new', scopes: ['sync'], user_id: 'u2' }),
      });
      const newKey = ((await created.json()) as { api_key: string }).api_key;
      const token = jwt.sign({ tid: tenantId, scope: 'sync' }, TEST_JWT_SECRET, { subject: 'u3', expiresIn: 600 });
      const forged = jwt.sign({ tid: tenantId, scope: 'admin' }, 'wrong-secret-wrong-secret-wrong', { subject: 'x' });
      const badKey = `fsk_${'b'.repeat(43)}`;
      const statuses = [
        (await request('/api/v1/sync/queue-status', `Bearer ${newKey}`, { headers: { 'x-device-id': 'd1' } })).status,
        (
          await request('/api/v1/sync/push', `Bearer ${newKey}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-device-id': 'd1' },
            body: JSON.stringify({ items: [pushItem()] }),
          })
        ).status,
        (await request('/api/v1/sync/queue-status', `Bearer ${token}`, { headers: { 'x-device-id': 'd1' } })).status,
        (await request('/api/v1/tenant', `Bearer ${revokedKey}`)).status,
        (await request('/api/v1/tenant', `Bearer ${badKey}`)).status,
        (await request('/api/v1/tenant', `Bearer ${forged}`)).status,
        (await request('/api/v1/tenant', `Bearer ${newKey}`)).status,
        (await request('/api/v1/sync/push', `Bearer ${newKey}`, { method: 'POST', body: '{' })).status,
      ];
      expect(statuses).toEqual([200, 200, 200, 401, 401, 401, 403, 400]);
      await new Promise((done) => setTimeout(done, 300));
      const output = server.output();
      const secrets = { adminKey, revokedKey, newKey, badKey, token, forged };
      const found = Object.entries(secrets)
        .flatMap(([name, secret]) => [
          [name, secret],
          [`${name} hash`, hashApiKey(secret)],
          [`${name} signature`, secret.split('.')[2] ?? secret.slice(8)],
        ])
        .filter(([, secret]) => secret && output.includes(secret))
        .map(([name]) => name);
      const lines = output.split('\n').filter((line) => line.trim() !== '').length;
      process.stdout.write(
        `logs: ${statuses.length} requests (statuses ${JSON.stringify(statuses)}) at LOG_LEVEL=trace, ${lines} log ` +
          `lines, ${Object.keys(secrets).length} credentials × (value, SHA-256, signature) searched, found ${found.length}\n`,
      );
      expect(lines).toBeGreaterThan(statuses.length);
      expect(found).toEqual([]);
    } finally {
      await server.stop();
      await setup?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
