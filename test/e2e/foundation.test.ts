import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

describe('foundation (HTTP)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('foundation');
    a = await t.createTenant('Tenant A', 'Asia/Kolkata');
    b = await t.createTenant('Tenant B');
  });
  afterAll(() => t.close());

  it('reports liveness and readiness with a database ping', async () => {
    expect((await call(t, 'GET', '/health/live')).body).toEqual({ status: 'ok' });
    expect((await call(t, 'GET', '/health/ready')).body).toEqual({ status: 'ok', database: 'up' });
  });

  it('serves Swagger UI and the OpenAPI JSON', async () => {
    const ui = await call(t, 'GET', '/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');
    const json = await call(t, 'GET', '/docs-json');
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toContain('/api/v1/tenant');
  });

  it('answers a request without a credential with 401 and the error body', async () => {
    const result = await call(t, 'GET', '/api/v1/tenant');
    expectErrorBody(result, 401, 'UNAUTHORIZED');
    expect(result.headers.get('x-request-id')).toBe(result.body.error.request_id);
  });

  it('rejects malformed, unknown, revoked and forged credentials with 401', async () => {
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { headers: { authorization: 'Basic abc' } }), 401);
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: 'fsk_not-a-real-key' }), 401);
    const forged = t.token(a.id, 'u1', 'admin').replace(/\.[^.]+$/, '.forgedsignature');
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: forged }), 401);
    const expired = t.token(a.id, 'u1', 'admin', -10);
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: expired }), 401);
    const unknownTenant = t.token('999999', 'u1', 'admin');
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: unknownTenant }), 401);

    const created = await call(t, 'POST', '/api/v1/api-keys', {
      key: a.adminKey,
      body: { name: 'temp', scopes: ['admin'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.api_key).toMatch(/^fsk_/);
    expect((await call(t, 'GET', '/api/v1/tenant', { key: created.body.api_key })).status).toBe(200);
    expect((await call(t, 'DELETE', `/api/v1/api-keys/${created.body.id}`, { key: a.adminKey })).status).toBe(204);
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: created.body.api_key }), 401);
  });

  it('accepts an HS256 JWT carrying tid, sub and scope', async () => {
    const result = await call(t, 'GET', '/api/v1/tenant', { key: t.token(a.id, 'u1', 'admin') });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ id: a.id, name: 'Tenant A', timezone: 'Asia/Kolkata' });
  });

  it('answers a sync key on an admin route with 403', async () => {
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: a.syncKey }), 403, 'FORBIDDEN');
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: t.token(a.id, 'u1', 'sync') }), 403, 'FORBIDDEN');
  });

  it('never lets tenant A read or change tenant B', async () => {
    const bKeys = await call(t, 'GET', '/api/v1/api-keys', { key: b.adminKey });
    expect(bKeys.body.length).toBeGreaterThan(0);
    const aKeys = await call(t, 'GET', '/api/v1/api-keys', { key: a.adminKey });
    const aIds = new Set(aKeys.body.map((key: { id: string }) => key.id));
    for (const key of bKeys.body) expect(aIds.has(key.id)).toBe(false);
    expectErrorBody(
      await call(t, 'DELETE', `/api/v1/api-keys/${bKeys.body[0].id}`, { key: a.adminKey }),
      404,
      'NOT_FOUND',
    );
    expect((await call(t, 'GET', '/api/v1/tenant', { key: b.adminKey })).status).toBe(200);
    expect((await call(t, 'GET', '/api/v1/tenant', { key: a.adminKey })).body.id).toBe(a.id);
  });

  it('rejects unknown properties, bad values and malformed JSON with 400', async () => {
    const unknown = await call(t, 'PATCH', '/api/v1/tenant', { key: a.adminKey, body: { name: 'x', tenant_id: b.id } });
    expectErrorBody(unknown, 400, 'VALIDATION_FAILED');
    expect(unknown.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'tenant_id' })]),
    );
    expectErrorBody(
      await call(t, 'PATCH', '/api/v1/tenant', { key: a.adminKey, body: { timezone: 'Mars/Base' } }),
      400,
    );
    // Prism answers malformed JSON itself: this one goes to the app directly.
    expectErrorBody(
      await call(t, 'PATCH', '/api/v1/tenant', { key: a.adminKey, body: '{"name": ', direct: true }),
      400,
    );
    expectErrorBody(
      await call(t, 'PATCH', '/api/v1/tenant', {
        key: a.adminKey,
        body: 'name=x',
        headers: { 'content-type': 'text/csv' },
      }),
      415,
    );
  });

  it('rejects a body above BODY_LIMIT_BYTES with 413', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(t.config.get('BODY_LIMIT_BYTES') + 10) });
    expectErrorBody(
      // Prism's own body limit answers first: this one goes to the app directly.
      await call(t, 'PATCH', '/api/v1/tenant', { key: a.adminKey, body: huge, direct: true }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('answers unknown routes with 404 and the error body', async () => {
    expectErrorBody(await call(t, 'GET', '/api/v1/nothing-here', { key: a.adminKey }), 404, 'NOT_FOUND');
  });

  it('validates X-Device-Id', async () => {
    expectErrorBody(await call(t, 'GET', '/api/v1/tenant', { key: a.adminKey, device: 'x'.repeat(129) }), 400);
  });
});

describe('rate limiting', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('ratelimit', { RATE_LIMIT_PER_MINUTE: 5 });
  });
  afterAll(() => t.close());

  it('returns 429 with Retry-After once a credential exceeds its limit', async () => {
    const tenant = await t.createTenant();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await call(t, 'GET', '/api/v1/tenant', { key: tenant.adminKey })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await call(t, 'GET', '/api/v1/tenant', { key: tenant.adminKey });
    expectErrorBody(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const other = await t.createTenant();
    expect((await call(t, 'GET', '/api/v1/tenant', { key: other.adminKey })).status).toBe(200);
  });
});
