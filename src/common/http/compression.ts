import { Readable, Transform, TransformCallback, Writable } from 'node:stream';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppException, ErrorCode } from '../errors/app-exception';
import { hasBody } from './body-guard';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @CompressResponse(): the response is compressed by Accept-Encoding under the adaptive rule. */
    compressResponse?: boolean;
  }
}

export const GZIP_LEVEL = 6;

export type ResponseEncoding = 'br' | 'zstd' | 'gzip' | 'deflate';

type Compress = (input: Buffer) => Promise<Buffer>;
type CallbackCompress = (input: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;

/** Node 20 has no zstd; newer runtimes expose zlib.zstdCompress (not in our @types/node yet). */
const zstdCompress = (zlib as unknown as { zstdCompress?: CallbackCompress }).zstdCompress;

export const BROTLI_QUALITY = 5;

const COMPRESSORS: Partial<Record<ResponseEncoding, Compress>> = {
  br: (input) =>
    promisify(zlib.brotliCompress)(input, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: input.length,
      },
    }),
  ...(zstdCompress ? { zstd: promisify(zstdCompress) } : {}),
  gzip: (input) => promisify(zlib.gzip)(input, { level: GZIP_LEVEL }),
  deflate: (input) => promisify(zlib.deflate)(input, { level: GZIP_LEVEL }),
};

/** Server preference when the client weighs encodings equally: best ratio first. */
const RESPONSE_ENCODINGS: readonly ResponseEncoding[] = (['br', 'zstd', 'gzip', 'deflate'] as const).filter(
  (encoding) => COMPRESSORS[encoding] !== undefined,
);

/**
 * The encoding to answer with, from an Accept-Encoding header (RFC 9110 §12.5.3): highest q-value first, server
 * preference on ties, `*` covering encodings not named, q=0 excluding one. Null: send the body as it is.
 */
export function negotiateEncoding(
  header: string | undefined,
  available: readonly ResponseEncoding[] = RESPONSE_ENCODINGS,
): ResponseEncoding | null {
  if (!header) return null;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const match = /^q\s*=\s*([0-9.]+)$/.exec(param);
      if (match) q = Math.min(1, Math.max(0, Number(match[1]) || 0));
    }
    weights.set(name === 'x-gzip' ? 'gzip' : name, q);
  }
  const wildcard = weights.get('*') ?? 0;
  let best: ResponseEncoding | null = null;
  let bestQ = 0;
  for (const encoding of available) {
    const q = weights.get(encoding) ?? wildcard;
    if (q > bestQ) {
      best = encoding;
      bestQ = q;
    }
  }
  return best;
}

async function compressBody(encoding: ResponseEncoding, input: Buffer): Promise<Buffer> {
  const compress = COMPRESSORS[encoding];
  if (!compress) throw new Error(`encoding ${encoding} is not available in this runtime`);
  return compress(input);
}

export interface AdaptiveRule {
  thresholdBytes: number;
  minRatio: number;
}

/** The adaptive rule: large enough to bother, and the result small enough to be worth it. */
export function worthCompressing(originalBytes: number, compressedBytes: number, rule: AdaptiveRule): boolean {
  return originalBytes >= rule.thresholdBytes && originalBytes > 0 && compressedBytes / originalBytes < rule.minRatio;
}

const REQUEST_DECODERS: Record<string, (() => Transform) | null> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  br: () => zlib.createBrotliDecompress(),
  deflate: () => zlib.createInflate(),
  identity: null,
};
const MAX_CONTENT_CODINGS = 3;

/** The decoders to apply, outermost coding first; unknown codings are a 415. */
export function requestDecoders(header: string): Array<() => Transform> {
  const codings = header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '');
  const unknown = codings.filter((coding) => !(coding in REQUEST_DECODERS));
  if (unknown.length > 0 || codings.length > MAX_CONTENT_CODINGS) {
    throw new AppException(
      ErrorCode.UnsupportedEncoding,
      `Unsupported Content-Encoding "${header}"; use gzip, br, deflate or identity`,
    );
  }
  return codings
    .reverse()
    .map((coding) => REQUEST_DECODERS[coding])
    .filter((decoder): decoder is () => Transform => decoder !== null);
}

/** Counts decoded bytes and fails the body, with a 413, the moment they pass the limit. */
class DecodedBody extends Transform {
  /** Bytes as received, which Fastify compares with Content-Length. */
  receivedEncodedLength = 0;
  private decodedLength = 0;
  private start: (() => void) | undefined;

  constructor(
    private readonly limit: number,
    start: () => void,
  ) {
    super();
    this.start = start;
  }

  /** The upstream is piped in on the first read, once the body parser listens for data and errors. */
  override _read(size: number): void {
    const start = this.start;
    this.start = undefined;
    start?.();
    super._read(size);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decodedLength += chunk.length;
    if (this.decodedLength > this.limit) {
      callback(
        new AppException(ErrorCode.PayloadTooLarge, `Request body exceeds ${this.limit} bytes after decompression`),
      );
      return;
    }
    callback(null, chunk);
  }
}

/**
 * Decodes a request body as a stream. Nothing flows until the body parser reads it, at most `limit` decoded bytes
 * are ever produced (a decompression bomb stops at the limit), and on failure the rest of the upload is drained
 * unread so the error response still reaches the client.
 */
export function decodeRequestBody(source: Readable, decoders: Array<() => Transform>, limit: number): DecodedBody {
  const stages = decoders.map((create) => create());
  const chain: Readable[] = [source, ...stages];
  const output: DecodedBody = new DecodedBody(limit, () => {
    source.on('data', (chunk: Buffer) => (output.receivedEncodedLength += chunk.length));
    const targets: Writable[] = [...stages, output];
    chain.forEach((stream, index) => stream.pipe(targets[index]));
  });
  const fail = (error: unknown): void => {
    for (const stream of chain) stream.unpipe();
    for (const stage of stages) stage.destroy();
    if (!output.destroyed) output.destroy(error instanceof Error ? error : new Error(String(error)));
    source.resume();
  };
  for (const stage of stages) {
    stage.on('error', (error: Error) =>
      fail(AppException.validation(`Request body could not be decompressed: ${error.message}`)),
    );
  }
  source.on('error', fail);
  output.on('error', fail);
  return output;
}

function addVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  const values = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (values.some((value) => value === '*' || value.toLowerCase() === field.toLowerCase())) return;
  void reply.header('vary', [...values, field].join(', '));
}

/**
 * Request bodies with Content-Encoding gzip, br or deflate are decoded before parsing; the body limit applies to the
 * decoded bytes.
 */
export function decompressRequestBodies(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    const header = request.headers['content-encoding'];
    if (header === undefined || !hasBody(request)) return payload;
    const decoders = requestDecoders(header);
    if (decoders.length === 0) return payload;
    return decodeRequestBody(payload, decoders, request.routeOptions.bodyLimit ?? bodyLimit);
  });
}

/** Responses of routes marked @CompressResponse() are compressed by Accept-Encoding under the adaptive rule. */
export function compressResponses(fastify: FastifyInstance, rule: AdaptiveRule): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.config?.compressResponse !== true) return payload;
    addVary(reply, 'Accept-Encoding');
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    // A string becomes a Buffer only when it is compressed: a copy of every large page otherwise.
    const size = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
    const encoding =
      request.method === 'HEAD' || reply.hasHeader('content-encoding') || size < rule.thresholdBytes
        ? null
        : negotiateEncoding(request.headers['accept-encoding']);
    if (!encoding) return payload;
    const raw = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const compressed = await compressBody(encoding, raw);
    if (!worthCompressing(raw.length, compressed.length, rule)) return payload;
    void reply.header('content-encoding', encoding);
    reply.removeHeader('content-length');
    return compressed;
  });
}
