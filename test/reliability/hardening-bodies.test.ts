import { connect, Socket } from 'node:net';
import { expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

/** One raw HTTP/1.1 upload: the head, then up to `send` bytes of the body, written as the socket drains. */
interface Upload {
  path: string;
  headers: Record<string, string>;
  /** Body bytes to write (the declared Content-Length may be more). */
  send: number;
  /** Write the body this many bytes at a time with this pause (a trickle); default: as fast as the socket takes it. */
  trickle?: { bytes: number; everyMs: number };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** Milliseconds from the first byte sent to the complete response. */
  ms: number;
  /** Body bytes the client managed to write before the answer. */
  written: number;
  /** The server closed the connection after answering. */
  closed: boolean;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x78);

/** Parses a complete response out of `raw`, or null while it is incomplete. */
function parseResponse(raw: Buffer): Omit<Answer, 'ms' | 'written' | 'closed'> | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = raw.toString('latin1', 0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (raw.length < end + 4 + length) return null;
  const text = raw.toString('utf8', end + 4, end + 4 + length);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * Sends `upload` on its own connection and resolves with the server's answer. Resolves with status 0 if none came
 * within `giveUpMs` (the old code never answered a body stopped short), so a missing answer fails an assertion
 * instead of hanging the suite.
 */
function send(t: TestApp, upload: Upload, giveUpMs = 60_000): Promise<Answer> {
  const { port } = new URL(t.url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    let received = Buffer.alloc(0);
    let written = 0;
    let answer: Omit<Answer, 'ms' | 'written' | 'closed'> | null = null;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({
        ...(answer ?? { status: 0, headers: {}, body: undefined }),
        ms: Date.now() - started,
        written,
        closed,
      });
    };
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      answer ??= parseResponse(received);
      // Give the server a moment to close the connection, which the test checks it does.
      if (answer && !timer) timer = setTimeout(() => finish(false), 2_000);
    });
    socket.on('close', () => finish(answer !== null));
    socket.on('error', () => undefined);
    const head = Object.entries({ host: `127.0.0.1:${port}`, ...upload.headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`POST ${upload.path} HTTP/1.1\r\n${head}\r\n`);
    const writeMore = (): void => {
      while (!done && !socket.destroyed && written < upload.send) {
        const size = Math.min(upload.trickle?.bytes ?? CHUNK.length, upload.send - written);
        written += size;
        const drained = socket.write(CHUNK.subarray(0, size));
        if (upload.trickle) {
          setTimeout(writeMore, upload.trickle.everyMs);
          return;
        }
        if (!drained) {
          socket.once('drain', writeMore);
          return;
        }
      }
    };
    writeMore();
  });
}

function sample(): () => number {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss);
  };
}

const MB = 1024 * 1024;
const TEN_MB = 10 * MB;
const BODY_TIMEOUT_MS = 1500;
const IN_FLIGHT_MAX = 2 * MB;

describe('hardening (issue 14, item 2): authentication before bodies, body deadline, bytes in flight', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('hardening-bodies', {
      BODY_TIMEOUT_MS,
      BODY_BYTES_IN_FLIGHT_MAX: IN_FLIGHT_MAX,
      RATE_LIMIT_PER_MINUTE: 1_000_000,
    });
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  it('answers 100 unauthenticated 10 MB uploads stopped one byte short with 401, without reading their bodies', async () => {
    if (global.gc) global.gc();
    const before = process.memoryUsage().rss;
    const peak = sample();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        send(t, {
          path: '/api/v1/sync/push',
          headers: {
            'content-type': 'application/json',
            'content-length': String(TEN_MB),
            ...(i % 2 === 0 ? {} : { authorization: `Bearer fsk_not-a-key-${i}` }),
          },
          send: TEN_MB - 1,
        }),
      ),
    );
    const growth = (peak() - before) / MB;
    const statuses = answers.reduce<Record<number, number>>((counts, a) => {
      counts[a.status] = (counts[a.status] ?? 0) + 1;
      return counts;
    }, {});
    const slowest = Math.max(...answers.map((a) => a.ms));
    const written = answers.reduce((sum, a) => sum + a.written, 0) / MB;
    process.stdout.write(
      `[item 2] 100 unauthenticated uploads of 10 MB − 1 B: statuses ${JSON.stringify(statuses)}, ` +
        `slowest answer ${slowest} ms, client wrote ${written.toFixed(1)} MB in all before the answers, ` +
        `peak RSS growth ${growth.toFixed(1)} MB (${((growth * 1024) / 100).toFixed(0)} KiB per connection), ` +
        `connections closed by the server ${answers.filter((a) => a.closed).length}/100\n`,
    );
    expect(statuses).toEqual({ 401: 100 });
    for (const answer of answers) {
      expectErrorBody({ status: answer.status, body: answer.body, headers: new Headers() }, 401, 'UNAUTHORIZED');
      expect(answer.headers.connection).toBe('close');
      expect(answer.closed).toBe(true);
    }
    // Before the fix every body was buffered: 100 × 10 MB. The bound is far below one body per connection.
    expect(growth).toBeLessThan(100);
  });

  it('answers a body sent to no route with 404 without reading it', async () => {
    const answer = await send(t, {
      path: '/api/v1/nowhere',
      headers: { 'content-type': 'application/json', 'content-length': String(TEN_MB) },
      send: 1,
    });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('NOT_FOUND');
    expect(answer.closed).toBe(true);
  });

  it('answers a body trickled at 1 byte per 200 ms with 408 after BODY_TIMEOUT_MS and closes the connection', async () => {
    const answer = await send(t, {
      path: '/api/v1/sync/push',
      headers: {
        'content-type': 'application/json',
        'content-length': '1000',
        authorization: `Bearer ${tenant.syncKey}`,
        'x-device-id': 'dev-trickle',
      },
      send: 1000,
      trickle: { bytes: 1, everyMs: 200 },
    });
    process.stdout.write(
      `[item 2] body trickled at 1 B / 200 ms, BODY_TIMEOUT_MS ${BODY_TIMEOUT_MS}: ${answer.status} after ` +
        `${answer.ms} ms (${answer.written} B sent), connection closed ${answer.closed}\n`,
    );
    expectErrorBody({ status: answer.status, body: answer.body, headers: new Headers() }, 408, 'REQUEST_TIMEOUT');
    expect(answer.ms).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS);
    expect(answer.closed).toBe(true);
  });

  it('answers 503 with Retry-After to uploads past BODY_BYTES_IN_FLIGHT_MAX, and takes them again once bytes are freed', async () => {
    const auth = {
      authorization: `Bearer ${tenant.syncKey}`,
      'x-device-id': 'dev-budget',
      'content-type': 'application/json',
    };
    // Declared larger than the whole budget: refused before a byte is read.
    const declared = await send(t, {
      path: '/api/v1/sync/push',
      headers: { ...auth, 'content-length': String(TEN_MB) },
      send: MB,
    });
    expectErrorBody({ status: declared.status, body: declared.body, headers: new Headers() }, 503, 'SERVER_BUSY');
    expect(declared.headers['retry-after']).toBe('1');
    expect(declared.closed).toBe(true);

    // A stalled 1.5 MiB upload holds 1.5 MiB of the 2 MiB budget until its deadline; a 1 MiB one is refused meanwhile.
    const holder = send(t, {
      path: '/api/v1/sync/push',
      headers: { ...auth, 'content-length': String(1.5 * MB) },
      send: MB,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await send(t, {
      path: '/api/v1/sync/push',
      headers: { ...auth, 'content-length': String(MB) },
      send: MB,
    });
    const held = await holder;
    const after = await send(t, {
      path: '/api/v1/sync/push',
      headers: { ...auth, 'content-length': String(MB) },
      send: MB,
    });
    process.stdout.write(
      `[item 2] BODY_BYTES_IN_FLIGHT_MAX 2 MiB: declared 10 MiB → ${declared.status}; while 1.5 MiB are held, ` +
        `1 MiB → ${refused.status}; the holder → ${held.status} at its deadline; then 1 MiB → ${after.status}\n`,
    );
    expectErrorBody({ status: refused.status, body: refused.body, headers: new Headers() }, 503, 'SERVER_BUSY');
    expect(held.status).toBe(408);
    // The bytes are given back: the same upload is read (and refused as the invalid JSON it is).
    expectErrorBody({ status: after.status, body: after.body, headers: new Headers() }, 400);
  });
});
