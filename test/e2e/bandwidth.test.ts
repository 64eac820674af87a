import { request as httpRequest } from 'node:http';
import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { applyPatch } from 'rfc6902';
import { call, CallResult, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http, which (unlike fetch) leaves the response body encoded as it came over the wire. */
function rawPost(t: TestApp, path: string, key: string, body: unknown, headers: Record<string, string> = {}) {
  const url = new URL(`${t.url}${path}`);
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': String(payload.length),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function postEncoded(t: TestApp, path: string, key: string, body: Buffer, encoding: string) {
  const response = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-encoding': encoding },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

function tickets(count: number) {
  return Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    ticketno: `T${String(4800 + index).padStart(5, '0')}`,
    ticketdesc: 'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
    status: 'OPEN',
    priority: ['LOW', 'HIGH', 'MEDIUM'][index % 3],
  }));
}

describe('bandwidth tools (HTTP)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('bandwidth');
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  const post = (path: string, body: unknown, key: string | null = tenant.syncKey): Promise<CallResult> =>
    call(t, 'POST', `/api/v1/bandwidth/${path}`, { key: key ?? undefined, body });

  describe('POST /api/v1/bandwidth/compress', () => {
    it('gzips a large repetitive payload when asked to always compress', async () => {
      const data = Array.from({ length: 50 }, (_, id) => ({ id, data: 'x'.repeat(100) }));
      const result = await post('compress', { data, compression_level: 'always' });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ compressed: true, algorithm: 'gzip' });
      expect(result.body.compressed_size).toBeLessThan(result.body.original_size / 5);
      expect(JSON.parse(gunzipSync(Buffer.from(result.body.data, 'base64')).toString())).toEqual(data);
    });

    it('leaves a small record alone under the default adaptive level', async () => {
      const result = await post('compress', { data: { id: 1, name: 'test' } }, tenant.adminKey);
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        compressed: false,
        algorithm: null,
        original_size: 22,
        compressed_size: 22,
        compression_ratio: 1,
        data: { id: 1, name: 'test' },
      });
    });

    it('rejects an unknown level, a missing data field and unknown properties with 400', async () => {
      expectErrorBody(await post('compress', { data: 1, compression_level: 'max' }), 400, 'VALIDATION_FAILED');
      expectErrorBody(await post('compress', { compression_level: 'always' }), 400, 'VALIDATION_FAILED');
      const unknown = await post('compress', { data: 1, tenant_id: '1' });
      expectErrorBody(unknown, 400, 'VALIDATION_FAILED');
      expect(unknown.body.error.details).toEqual([expect.objectContaining({ field: 'tenant_id' })]);
    });

    it('answers 401 without a credential', async () => {
      expectErrorBody(await post('compress', { data: 1 }, null), 401, 'UNAUTHORIZED');
    });
  });

  describe('POST /api/v1/bandwidth/delta', () => {
    const server = {
      mobile_id: '550e8400-e29b-41d4-a716-446655440000',
      version: 4,
      ticketno: 'T04812',
      ticketdesc: 'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
      status: 'OPEN',
      comments: 'Plumber called',
      escalation_level: 1,
    };

    it('reports the one changed field and a patch that rebuilds the client copy', async () => {
      const client = { ...server, status: 'INPROGRESS', version: 5 };
      const result = await post('delta', { server_version: server, client_version: client });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        mobile_id: server.mobile_id,
        version: 5,
        delta: { status: 'INPROGRESS' },
        fields_changed: 1,
        removed_fields: [],
        patch: [{ op: 'replace', path: '/status', value: 'INPROGRESS' }],
      });
      const copy = structuredClone(server);
      applyPatch(copy, result.body.patch);
      expect(copy).toEqual({ ...client, version: 4 });
    });

    it('rejects copies that are not objects with 400', async () => {
      expectErrorBody(await post('delta', { server_version: [], client_version: {} }), 400, 'VALIDATION_FAILED');
      expectErrorBody(await post('delta', { server_version: {} }), 400, 'VALIDATION_FAILED');
    });

    it('answers 401 without a credential', async () => {
      expectErrorBody(await post('delta', { server_version: {}, client_version: {} }, null), 401);
    });
  });

  describe('POST /api/v1/bandwidth/batches', () => {
    const items = Array.from({ length: 100 }, (_, id) => ({ id }));

    it('splits 100 items into 10 batches of 10 on a poor network and one batch on an excellent one', async () => {
      const poor = await post('batches', { items, network_quality: 'poor' });
      expect(poor.status).toBe(200);
      expect(poor.body.batch_size).toBe(10);
      expect(poor.body.batches).toHaveLength(10);
      expect(poor.body.batches.flat()).toEqual(items);
      const excellent = await post('batches', { items, network_quality: 'excellent' });
      expect(excellent.body).toEqual({ batch_size: 100, batches: [items] });
    });

    it('uses 25 for an unknown network quality and sizes by measured rtt and throughput', async () => {
      expect((await post('batches', { items, network_quality: 'satellite' })).body.batch_size).toBe(25);
      const slow = await post('batches', { items, network_quality: 'excellent', rtt_ms: 1990, throughput_kbps: 8 });
      expect(slow.body.batch_size).toBe(10);
    });

    it('rejects non-positive measurements, a missing quality and too many items with 400', async () => {
      expectErrorBody(await post('batches', { items, network_quality: 'good', rtt_ms: 0 }), 400, 'VALIDATION_FAILED');
      expectErrorBody(await post('batches', { items, network_quality: 'good', throughput_kbps: -5 }), 400);
      expectErrorBody(await post('batches', { items, network_quality: 'good', rtt_ms: 'fast' }), 400);
      expectErrorBody(await post('batches', { items }), 400);
      expectErrorBody(await post('batches', { items: 'all', network_quality: 'good' }), 400);
      const tooMany = Array.from({ length: 10001 }, () => 1);
      expectErrorBody(await post('batches', { items: tooMany, network_quality: 'good' }), 400);
    });

    it('answers 401 without a credential', async () => {
      expectErrorBody(await post('batches', { items, network_quality: 'good' }, null), 401);
    });
  });

  describe('POST /api/v1/bandwidth/prioritize', () => {
    it('orders low, high, medium, high by priority, stable', async () => {
      const items = [
        { id: 1, priority: 'low' },
        { id: 2, priority: 'high' },
        { id: 3, priority: 'medium' },
        { id: 4, priority: 'high' },
      ];
      const result = await post('prioritize', { items, priority_field: 'priority' });
      expect(result.status).toBe(200);
      expect(result.body.items.map((item: { id: number }) => item.id)).toEqual([2, 4, 3, 1]);
    });

    it('reads another field and treats missing or unknown values as medium', async () => {
      const items = [{ id: 1, level: 'LOW' }, { id: 2 }, { id: 3, level: 'HIGH' }, { id: 4, level: 'urgent' }];
      const result = await post('prioritize', { items, priority_field: 'level' });
      expect(result.body.items.map((item: { id: number }) => item.id)).toEqual([3, 2, 4, 1]);
    });

    it('rejects items that are not objects and an empty field name with 400', async () => {
      expectErrorBody(await post('prioritize', { items: [1, 2] }), 400, 'VALIDATION_FAILED');
      expectErrorBody(await post('prioritize', { items: [], priority_field: '' }), 400, 'VALIDATION_FAILED');
    });

    it('answers 401 without a credential', async () => {
      expectErrorBody(await post('prioritize', { items: [] }, null), 401);
    });
  });

  describe('HTTP compression', () => {
    it('accepts gzip, deflate and brotli request bodies', async () => {
      const body = Buffer.from(
        JSON.stringify({
          items: [
            { id: 1, priority: 'low' },
            { id: 2, priority: 'high' },
          ],
        }),
      );
      for (const [encoding, encoded] of [
        ['gzip', gzipSync(body)],
        ['deflate', deflateSync(body)],
        ['br', brotliCompressSync(body)],
        ['identity', body],
      ] as const) {
        const result = await postEncoded(t, '/api/v1/bandwidth/prioritize', tenant.syncKey, encoded, encoding);
        expect({ encoding, status: result.status }).toEqual({ encoding, status: 200 });
        expect(result.body.items.map((item: { id: number }) => item.id)).toEqual([2, 1]);
      }
    });

    it('answers 415 for an unknown content encoding', async () => {
      const result = await postEncoded(
        t,
        '/api/v1/bandwidth/prioritize',
        tenant.syncKey,
        Buffer.from('{}'),
        'compress9',
      );
      expectErrorBody(result as CallResult, 415, 'UNSUPPORTED_CONTENT_ENCODING');
    });

    it('answers 400 for a corrupt gzip body', async () => {
      const corrupt = Buffer.from('this is not gzip at all');
      const result = await postEncoded(t, '/api/v1/bandwidth/prioritize', tenant.syncKey, corrupt, 'gzip');
      expectErrorBody(result as CallResult, 400, 'VALIDATION_FAILED');
    });

    it('compresses a large response with brotli when the client accepts it, and sets Vary', async () => {
      const items = tickets(200);
      const response = await rawPost(
        t,
        '/api/v1/bandwidth/prioritize',
        tenant.syncKey,
        { items },
        {
          'accept-encoding': 'gzip;q=0.8, br',
        },
      );
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBe('br');
      expect(String(response.headers.vary)).toMatch(/accept-encoding/i);
      const decoded = JSON.parse(brotliDecompressSync(response.body).toString('utf8'));
      expect(decoded.items).toHaveLength(200);
      expect(decoded.items[0].priority).toBe('HIGH');
      expect(response.body.length).toBeLessThan(Buffer.byteLength(JSON.stringify(decoded)) * 0.8);
    });

    it('honours q-values: gzip when brotli is refused', async () => {
      const response = await rawPost(
        t,
        '/api/v1/bandwidth/prioritize',
        tenant.syncKey,
        { items: tickets(100) },
        {
          'accept-encoding': 'br;q=0, gzip',
        },
      );
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(response.body).toString()).items).toHaveLength(100);
    });

    it('sends a response below the threshold uncompressed, still with Vary', async () => {
      const response = await rawPost(
        t,
        '/api/v1/bandwidth/prioritize',
        tenant.syncKey,
        { items: tickets(1) },
        {
          'accept-encoding': 'br, gzip',
        },
      );
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(String(response.headers.vary)).toMatch(/accept-encoding/i);
      expect(JSON.parse(response.body.toString()).items).toHaveLength(1);
    });

    it('leaves responses of other routes alone', async () => {
      const response = await call(t, 'GET', '/api/v1/api-keys', {
        key: tenant.adminKey,
        headers: { 'accept-encoding': 'br' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('vary')).toBeNull();
    });
  });
});

describe('bandwidth request limits (HTTP)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const limit = 1024 * 1024;

  beforeAll(async () => {
    t = await startTestApp('bandwidth-limits', { BODY_LIMIT_BYTES: limit });
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  it('answers 413 for a gzip bomb whose decompressed size exceeds the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(limit);
    const result = await postEncoded(t, '/api/v1/bandwidth/prioritize', tenant.syncKey, bomb, 'gzip');
    expectErrorBody(result as CallResult, 413, 'PAYLOAD_TOO_LARGE');
    expect(result.body.error.message).toMatch(/after decompression/);
    // The server is still serving.
    expect((await call(t, 'GET', '/health/live')).status).toBe(200);
  });

  it('accepts a compressed body whose decompressed size is within the limit', async () => {
    const items = Array.from({ length: 2000 }, (_, id) => ({ id, priority: 'low', note: 'n'.repeat(300) }));
    const json = Buffer.from(JSON.stringify({ items }));
    expect(json.length).toBeLessThan(limit);
    const result = await postEncoded(t, '/api/v1/bandwidth/prioritize', tenant.syncKey, gzipSync(json), 'gzip');
    expect(result.status).toBe(200);
    expect(result.body.items).toHaveLength(2000);
  });
});
