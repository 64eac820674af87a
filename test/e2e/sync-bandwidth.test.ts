import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gzipSync } from 'node:zlib';
import { applyPatch } from 'rfc6902';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { pushItem, ticketData } from '../factories/records';

function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

describe('sync over bad networks: compressed bodies, compressed responses, delta pulls', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('sync_bandwidth');
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  it('accepts a gzip-compressed push and serves a brotli-compressed pull to a real HTTP client', async () => {
    const items = [...Array(40)].map(() => pushItem({ domain: 'ticket', data: ticketData() }));
    const pushed = await rawRequest(
      t.url,
      'POST',
      '/api/v1/sync/push',
      {
        authorization: `Bearer ${tenant.syncKey}`,
        'x-device-id': 'tab-1',
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      gzipSync(JSON.stringify({ items })),
    );
    expect(pushed.status).toBe(200);
    expect(JSON.parse(pushed.body.toString()).results.every((r: { status: string }) => r.status === 'applied')).toBe(
      true,
    );

    const pulled = await rawRequest(t.url, 'GET', '/api/v1/sync/pull?limit=100&domains=ticket', {
      authorization: `Bearer ${tenant.syncKey}`,
      'accept-encoding': 'br, gzip',
    });
    expect(pulled.status).toBe(200);
    expect(pulled.headers['content-encoding']).toBe('br');
    expect(String(pulled.headers.vary)).toMatch(/accept-encoding/i);
    const decoded = JSON.parse(brotliDecompressSync(pulled.body).toString());
    expect(decoded.changes).toHaveLength(40);
    expect(pulled.body.length).toBeLessThan(Buffer.byteLength(JSON.stringify(decoded)) / 3);
  });

  it('sends RFC 6902 patches from the versions a device holds; applying them gives the server record exactly', async () => {
    const items = [...Array(5)].map(() => pushItem({ domain: 'ticket', data: ticketData() }));
    await call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device: 'tab-2', body: { items } });
    const edits = items.map((item, i) =>
      pushItem({
        domain: 'ticket',
        mobile_id: item.mobile_id,
        base_version: 1,
        // escalation fields are supervisor-only under the default sync rules; a technician edits the rest
        data: { ...ticketData(), status: 'INPROGRESS', comments: `Plumber on site ${i}` },
      }),
    );
    await call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device: 'tab-2', body: { items: edits } });

    const known = Object.fromEntries(items.map((item) => [item.mobile_id, 1]));
    const delta = await call(t, 'POST', '/api/v1/sync/pull', {
      key: tenant.syncKey,
      body: { domains: 'ticket', limit: 1000, known_versions: known, delta: true },
    });
    expect(delta.status).toBe(200);
    const full = await call(t, 'POST', '/api/v1/sync/pull', {
      key: tenant.syncKey,
      body: { domains: 'ticket', limit: 1000 },
    });
    const fullById = new Map(full.body.changes.map((c: { mobile_id: string; data: object }) => [c.mobile_id, c.data]));
    const patched = delta.body.changes.filter((c: { mobile_id: string }) => c.mobile_id in known);
    expect(patched).toHaveLength(5);
    for (const change of patched) {
      expect(change).toMatchObject({ version: 2, base_version: 1, patch: expect.any(Array) });
      expect(change.data).toBeUndefined();
      const copy = structuredClone(ticketData());
      const errors = applyPatch(copy, change.patch);
      expect(errors.every((e) => e === null)).toBe(true);
      expect(copy).toEqual(fullById.get(change.mobile_id));
    }
    expect(JSON.stringify(delta.body).length).toBeLessThan(JSON.stringify(full.body).length);
  });

  it('validates known_versions and caps a page at the network’s batch size', async () => {
    const bad = await call(t, 'POST', '/api/v1/sync/pull', {
      key: tenant.syncKey,
      body: { delta: true, known_versions: { 'not-a-uuid': 1 } },
    });
    expect(bad.status).toBe(400);
    const zero = await call(t, 'POST', '/api/v1/sync/pull', {
      key: tenant.syncKey,
      body: { delta: true, known_versions: { '550e8400-e29b-41d4-a716-446655440000': 0 } },
    });
    expect(zero.status).toBe(400);
    const poor = await call(t, 'GET', '/api/v1/sync/pull?limit=500&network_quality=poor', { key: tenant.syncKey });
    expect(poor.body.changes).toHaveLength(10);
    expect(poor.body.has_more).toBe(true);
  });
});
