import { Readable } from 'node:stream';
import { createGzip, createGunzip, gzipSync } from 'node:zlib';
import { AppException, ErrorCode } from '../errors/app-exception';
import { decodeRequestBody, negotiateEncoding, requestDecoders, worthCompressing } from './compression';

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
