import { randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify, { FastifyInstance } from 'fastify';
import { toErrorResponse } from '../errors/error-response';
import { MeteredRequest, SyncMeter } from '../metering/sync-meter';
import { FinishedRequest, registerHttpHooks, requestIdOf } from './http-pipeline';

describe(registerHttpHooks.name, () => {
  let app: FastifyInstance;
  let lastMeter: SyncMeter | undefined;
  const finished: FinishedRequest[] = [];
  const recorded: Array<{ meter: SyncMeter; statusCode: number }> = [];
  const large = { changes: Array.from({ length: 100 }, (_, id) => ({ id, status: 'OPEN', note: 'plumber on site' })) };
  // Base64 of random bytes compresses to about 0.75, above the 0.5 minimum ratio configured here.
  const random = { blob: randomBytes(4000).toString('base64') };

  beforeAll(async () => {
    app = Fastify({ genReqId: requestIdOf });
    registerHttpHooks(app, {
      bodyLimit: 1024 * 1024,
      body: { timeoutMs: 30_000, bytesInFlightMax: 64 * 1024 * 1024 },
      authenticator: { authenticate: async () => undefined },
      jsonMaxMembers: 10_000,
      compression: { thresholdBytes: 1024, minRatio: 0.5 },
      requests: { observeRequest: (request) => void finished.push(request) },
      syncEvents: { record: async (meter, statusCode) => void recorded.push({ meter, statusCode }) },
    });
    app.setErrorHandler((error, request, reply) => {
      const response = toErrorResponse(error, String(request.id));
      void reply.status(response.status).send(response.body);
    });
    app.addHook('preHandler', async (request: MeteredRequest) => {
      // Only matched routes meter, as only the sync handlers do in the app.
      if (request.routeOptions.url !== undefined)
        request.syncMeter = lastMeter = new SyncMeter('pull', '1', 'u1', 'd1');
    });
    const compressed = { config: { compressResponse: true } };
    app.get('/api/v1/sync/large', compressed, async () => large);
    app.get('/api/v1/sync/small', compressed, async () => ({ ok: true }));
    app.get('/api/v1/sync/random', compressed, async () => random);
    app.get('/other/large', async () => large);
    app.post('/api/v1/sync/echo', compressed, async (request) => request.body);
    await app.ready();
  });
  afterAll(() => app.close());

  it('gzips a large sync response and records raw and wire bytes on the meter', async () => {
    const response = await app.inject({ url: '/api/v1/sync/large', headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers.vary).toBe('Accept-Encoding');
    expect(JSON.parse(gunzipSync(response.rawPayload).toString())).toEqual(large);
    expect(lastMeter!.bytesRaw).toBe(Buffer.byteLength(JSON.stringify(large)));
    expect(lastMeter!.bytesSent).toBe(response.rawPayload.length);
    expect(lastMeter!.bytesSent).toBeLessThan(lastMeter!.bytesRaw * 0.5);
  });

  it('answers with brotli when the client prefers it', async () => {
    const response = await app.inject({ url: '/api/v1/sync/large', headers: { 'accept-encoding': 'gzip, br' } });
    expect(response.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(response.rawPayload).toString())).toEqual(large);
  });

  it('sends small and incompressible bodies as they are, bytes on the meter equal', async () => {
    for (const url of ['/api/v1/sync/small', '/api/v1/sync/random']) {
      const response = await app.inject({ url, headers: { 'accept-encoding': 'br, gzip' } });
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.headers.vary).toBe('Accept-Encoding');
      expect(lastMeter!.bytesSent).toBe(lastMeter!.bytesRaw);
      expect(lastMeter!.bytesRaw).toBe(response.rawPayload.length);
    }
  });

  it('does not compress without Accept-Encoding, nor routes not marked for compression', async () => {
    expect((await app.inject({ url: '/api/v1/sync/large' })).headers['content-encoding']).toBeUndefined();
    const other = await app.inject({ url: '/other/large', headers: { 'accept-encoding': 'gzip' } });
    expect(other.headers['content-encoding']).toBeUndefined();
    expect(other.headers.vary).toBeUndefined();
    expect(lastMeter!.bytesSent).toBe(lastMeter!.bytesRaw);
  });

  it('echoes a sane X-Request-Id and replaces anything else', async () => {
    const echoed = await app.inject({ url: '/api/v1/sync/small', headers: { 'x-request-id': 'req-42' } });
    expect(echoed.headers['x-request-id']).toBe('req-42');
    const replaced = await app.inject({ url: '/api/v1/sync/small', headers: { 'x-request-id': 'bad id!' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hands each finished request to the observers: its route pattern, and the metered sync request', async () => {
    finished.length = 0;
    recorded.length = 0;
    await app.inject({ url: '/api/v1/sync/large?cursor=1', headers: { 'accept-encoding': 'gzip' } });
    await app.inject({ url: '/nowhere' });
    expect(finished.map(({ method, route, statusCode }) => ({ method, route, statusCode }))).toEqual([
      { method: 'GET', route: '/api/v1/sync/large', statusCode: 200 },
      { method: 'GET', route: 'unmatched', statusCode: 404 },
    ]);
    expect(finished.every((request) => request.durationMs >= 0)).toBe(true);
    expect(recorded).toHaveLength(1);
    expect(recorded[0].statusCode).toBe(200);
    expect(recorded[0].meter.bytesSent).toBeLessThan(recorded[0].meter.bytesRaw);
  });

  it('parses a brotli request body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/sync/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
      payload: brotliCompressSync(Buffer.from(JSON.stringify({ a: 1 }))),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ a: 1 });
  });
});
