import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { brotliCompressSync, brotliDecompressSync, createGzip, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { FastifyInstance } from 'fastify';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { toErrorResponse } from '../../common/errors/error-response';
import { MeteredRequest, SyncMeter } from '../../common/metering/sync-meter';
import { AppConfig } from '../../config/app-config';
import {
  decodeRequestBody,
  isCompressedRoute,
  negotiateEncoding,
  registerHttpCompression,
  requestDecoders,
  worthCompressing,
} from './http-compression';

describe('negotiateEncoding', () => {
  const node20 = ['br', 'gzip', 'deflate'] as const;

  it('prefers brotli when the client accepts everything equally', () => {
    expect(negotiateEncoding('gzip, deflate, br', node20)).toBe('br');
    expect(negotiateEncoding('*', node20)).toBe('br');
  });

  it('follows the q-values of the client', () => {
    expect(negotiateEncoding('br;q=0.5, gzip;q=1', node20)).toBe('gzip');
    expect(negotiateEncoding('br;q=0, *;q=0.3', node20)).toBe('gzip');
    expect(negotiateEncoding('deflate, gzip;q=0.9, br;q=0.1', node20)).toBe('deflate');
  });

  it('sends the body as it is when nothing acceptable is offered', () => {
    expect(negotiateEncoding(undefined, node20)).toBeNull();
    expect(negotiateEncoding('identity', node20)).toBeNull();
    expect(negotiateEncoding('zstd', node20)).toBeNull();
    expect(negotiateEncoding('gzip;q=0, br;q=0', node20)).toBeNull();
  });

  it('offers zstd only where the runtime has it', () => {
    expect(negotiateEncoding('zstd, gzip;q=0.5', ['br', 'zstd', 'gzip', 'deflate'])).toBe('zstd');
    expect(negotiateEncoding('zstd, br')).toBe('br');
  });
});

describe('isCompressedRoute', () => {
  it('covers the sync endpoints and the bandwidth tools, not the rest', () => {
    expect(isCompressedRoute('/api/v1/sync/pull?cursor=abc')).toBe(true);
    expect(isCompressedRoute('/api/sync/device-health/?device_id=d1')).toBe(true);
    expect(isCompressedRoute('/api/v1/bandwidth/compress')).toBe(true);
    expect(isCompressedRoute('/api/v1/tenant')).toBe(false);
    expect(isCompressedRoute('/health/live')).toBe(false);
  });
});

describe('worthCompressing', () => {
  const rule = { thresholdBytes: 1024, minRatio: 0.8 };
  it('compresses only bodies at the threshold that shrink below the minimum ratio', () => {
    expect(worthCompressing(1024, 300, rule)).toBe(true);
    expect(worthCompressing(1023, 10, rule)).toBe(false);
    expect(worthCompressing(2000, 1600, rule)).toBe(false);
  });
});

describe('requestDecoders', () => {
  it('answers an unknown content encoding with 415', () => {
    expect(() => requestDecoders('compress9')).toThrow(AppException);
    try {
      requestDecoders('gzip, compress9');
    } catch (error) {
      expect((error as AppException).code).toBe(ErrorCode.UnsupportedEncoding);
      expect((error as AppException).status).toBe(415);
    }
  });

  it('decodes the codings in reverse order of application and skips identity', () => {
    expect(requestDecoders('identity')).toHaveLength(0);
    expect(requestDecoders('GZIP, br')).toHaveLength(2);
  });
});

describe('decodeRequestBody', () => {
  it('stops an endless gzip bomb at the limit without inflating it', async () => {
    let produced = 0;
    const zeros = new Readable({
      read() {
        produced += 1 << 16;
        this.push(Buffer.alloc(1 << 16));
      },
    });
    const bomb = zeros.pipe(createGzip({ level: 1 }));
    const body = decodeRequestBody(bomb, [() => createGunzip()], 1024 * 1024);
    const error = await new Promise<unknown>((resolve) => {
      body.on('error', resolve);
      body.on('data', () => undefined);
    });
    zeros.destroy();
    bomb.destroy();
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).code).toBe(ErrorCode.PayloadTooLarge);
    expect(produced).toBeLessThan(16 * 1024 * 1024);
  });

  it('passes a body within the limit through and counts the encoded bytes', async () => {
    const json = Buffer.from(JSON.stringify({ items: Array.from({ length: 100 }, (_, id) => ({ id })) }));
    const encoded = gzipSync(json);
    const body = decodeRequestBody(Readable.from([encoded]), [() => createGunzip()], json.length);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(json);
    expect(body.receivedEncodedLength).toBe(encoded.length);
  });

  it('fails a corrupt body with a validation error', async () => {
    const body = decodeRequestBody(Readable.from([Buffer.from('not gzip')]), [() => createGunzip()], 1000);
    const error = await new Promise<unknown>((resolve) => {
      body.on('error', resolve);
      body.resume();
    });
    expect((error as AppException).code).toBe(ErrorCode.ValidationFailed);
  });
});

describe(registerHttpCompression.name, () => {
  let app: FastifyInstance;
  let lastMeter: SyncMeter | undefined;
  const large = { changes: Array.from({ length: 100 }, (_, id) => ({ id, status: 'OPEN', note: 'plumber on site' })) };
  // Base64 of random bytes compresses to about 0.75, above the 0.5 minimum ratio configured here.
  const random = { blob: randomBytes(4000).toString('base64') };

  beforeAll(async () => {
    app = Fastify();
    registerHttpCompression(app, AppConfig.fromEnv({ MIN_COMPRESSION_RATIO: '0.5' }));
    app.setErrorHandler((error, request, reply) => {
      const response = toErrorResponse(error, String(request.id));
      void reply.status(response.status).send(response.body);
    });
    app.addHook('preHandler', async (request: MeteredRequest) => {
      request.syncMeter = lastMeter = new SyncMeter('pull', '1', 'u1', 'd1');
    });
    app.get('/api/v1/sync/large', async () => large);
    app.get('/api/v1/sync/small', async () => ({ ok: true }));
    app.get('/api/v1/sync/random', async () => random);
    app.get('/other/large', async () => large);
    app.post('/api/v1/sync/echo', async (request) => request.body);
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

  it('does not compress without Accept-Encoding, nor outside the sync routes', async () => {
    expect((await app.inject({ url: '/api/v1/sync/large' })).headers['content-encoding']).toBeUndefined();
    const other = await app.inject({ url: '/other/large', headers: { 'accept-encoding': 'gzip' } });
    expect(other.headers['content-encoding']).toBeUndefined();
    expect(other.headers.vary).toBeUndefined();
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
