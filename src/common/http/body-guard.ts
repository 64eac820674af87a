import { Readable, Transform, TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppException, ErrorCode } from '../errors/app-exception';

export interface BodyGuardOptions {
  /** A body must have arrived this long after its request's headers (408 otherwise). */
  timeoutMs: number;
  /** Most body bytes this replica receives or holds at once; an upload that would pass it gets 503. */
  bytesInFlightMax: number;
}

/** Seconds a refused upload is told to wait. */
const BUSY_RETRY_AFTER_SECONDS = 1;

declare module 'fastify' {
  interface FastifyRequest {
    /** When the headers of a request with a body were read (ms since the epoch). */
    bodyStartedAt?: number;
  }
}

/** The request carries a body (a length above 0, or chunked). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The body bytes this replica holds at once: reserved as they arrive (or as declared), freed when the response ends. */
export class BodyBudget {
  private held = 0;

  constructor(readonly max: number) {}

  get bytes(): number {
    return this.held;
  }

  tryTake(bytes: number): boolean {
    if (this.held + bytes > this.max) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

function busy(budget: BodyBudget): AppException {
  return new AppException(
    ErrorCode.ServerBusy,
    `This replica is receiving its maximum of ${budget.max} body bytes; retry shortly`,
    [],
    { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) },
  );
}

/**
 * The body as the parser reads it, with the replica's byte budget taken chunk by chunk and a deadline. On either
 * failure the stream errors (the parser answers with the error body and `Connection: close`) and the rest of the
 * upload is never read.
 */
class GuardedBody extends Transform {
  private own = 0;
  private piped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: Readable & { receivedEncodedLength?: number },
    private readonly budget: BodyBudget,
    private reserved: number,
    deadlineMs: number,
    private readonly timeoutMs: number,
  ) {
    super();
    this.timer = setTimeout(() => this.expire(), Math.max(0, deadlineMs - Date.now()));
    this.timer.unref();
    source.on('error', (error: Error) => this.destroy(error));
  }

  /**
   * The source is piped in on the first read only: a body no parser reads (a 415) stays with Node, which discards it
   * after the response, so the connection can serve its next request.
   */
  override _read(size: number): void {
    if (!this.piped) {
      this.piped = true;
      this.source.pipe(this);
    }
    super._read(size);
  }

  /** What Fastify compares with Content-Length: the bytes as received. */
  get receivedEncodedLength(): number {
    return this.source.receivedEncodedLength ?? this.own;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.own += chunk.length;
    const more = this.own - this.reserved;
    if (more > 0) {
      if (!this.budget.tryTake(more)) {
        callback(busy(this.budget));
        return;
      }
      this.reserved += more;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.stop();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stop();
    this.source.unpipe(this);
    callback(error);
  }

  /** The bytes taken from the budget, to give back when the response ends. */
  get held(): number {
    return this.reserved;
  }

  private expire(): void {
    this.timer = undefined;
    this.destroy(
      new AppException(ErrorCode.RequestTimeout, `Request body did not arrive within ${this.timeoutMs} ms`, [
        { field: '(body)', message: `the whole body must arrive within ${this.timeoutMs} ms (BODY_TIMEOUT_MS)` },
      ]),
    );
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function refuse(reply: FastifyReply, error: AppException): never {
  // The body is left unread: the connection must not be reused for a next request.
  void reply.header('connection', 'close');
  throw error;
}

/**
 * Deadline and byte budget of request bodies. The clock starts with the headers (`onRequest`); the budget is taken
 * up front for a declared Content-Length and as bytes arrive otherwise (after decompression, so a bomb counts what
 * it expands to), and given back once the response has gone.
 */
export function guardRequestBodies(fastify: FastifyInstance, options: BodyGuardOptions, budget: BodyBudget): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (hasBody(request)) request.bodyStartedAt = Date.now();
    done();
  });
  fastify.addHook('preParsing', async (request, reply, payload) => {
    if (request.bodyStartedAt === undefined) return payload;
    const deadline = request.bodyStartedAt + options.timeoutMs;
    const declared = Number(request.headers['content-length']);
    // Over the body limit: the parser answers 413 before reading a byte.
    if (declared > (request.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY)) return payload;
    const reserve = Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, budget.max + 1) : 0;
    if (reserve > 0 && !budget.tryTake(reserve)) refuse(reply, busy(budget));
    const guarded = new GuardedBody(payload, budget, reserve, deadline, options.timeoutMs);
    reply.raw.once('close', () => {
      budget.give(guarded.held);
      guarded.destroy();
    });
    return guarded;
  });
}
