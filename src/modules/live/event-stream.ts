import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { constants, createGzip, Gzip } from 'node:zlib';
import type { FastifyReply } from 'fastify';

/** gzip unless the client refuses it (q=0); brotli and deflate are not offered on streams. */
const ACCEPTS_GZIP = /(?:^|,)\s*(?:gzip|\*)\s*(?:;\s*q=(?!0(?:\.0{0,3})?\s*(?:,|$))[\d.]+)?\s*(?:,|$)/i;

/**
 * One Server-Sent Events response over Fastify's raw socket. Compression is gzip with a sync flush after every
 * event (so each event reaches the client at once) and a small window, so an idle stream stays cheap; identity
 * when the client does not accept gzip. Bytes the client has not taken yet are bounded: past `maxBuffered` the
 * stream is cut and the client resumes from its Last-Event-ID.
 */
export class EventStream {
  private out: Writable | undefined;
  private gzip: Gzip | undefined;
  private closed = false;
  private readonly closeHandlers: Array<() => void> = [];

  private constructor(private readonly reply: FastifyReply) {}

  static over(reply: FastifyReply): EventStream {
    return new EventStream(reply);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends the headers and the reconnect hint; from here on the response belongs to this stream. */
  open(retryMs: number): void {
    const raw: ServerResponse = this.reply.raw;
    const compress = ACCEPTS_GZIP.test(String(this.reply.request.headers['accept-encoding'] ?? ''));
    this.reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      vary: 'Accept-Encoding',
      'x-request-id': this.reply.request.id,
      ...(compress ? { 'content-encoding': 'gzip' } : {}),
    });
    if (compress) {
      this.gzip = createGzip({ level: 6, windowBits: 10, memLevel: 2 });
      this.gzip.pipe(raw);
      this.gzip.on('error', () => this.cut());
    }
    this.out = this.gzip ?? raw;
    raw.on('close', () => this.finished());
    raw.on('error', () => this.cut());
    this.write(`retry: ${retryMs}\n\n`);
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  send(event: string, data: unknown, id?: string): void {
    const lines = [`event: ${event}`, ...(id !== undefined ? [`id: ${id}`] : []), `data: ${JSON.stringify(data)}`];
    this.write(`${lines.join('\n')}\n\n`);
  }

  /** Bytes written but not yet taken by the client. */
  buffered(): number {
    return (this.gzip?.writableLength ?? 0) + this.reply.raw.writableLength;
  }

  /**
   * Resolves once the socket takes more without buffering past its high-water mark (or the stream is gone). Bytes
   * below the mark are not waited for: Node emits 'drain' only after a write went past it, so waiting for those
   * would stall the reader until the connection closed.
   */
  drained(): Promise<void> {
    const raw = this.reply.raw;
    if (this.closed || !raw.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    });
  }

  /** Ends the stream politely: a last reconnect hint, then the end of the response. */
  end(retryMs: number): void {
    if (this.closed || !this.out) return;
    this.write(`retry: ${retryMs}\nevent: shutdown\ndata: {}\n\n`);
    this.out.end();
    this.finished();
  }

  /** Drops the connection (slow reader, socket error). */
  cut(): void {
    this.reply.raw.destroy();
    this.finished();
  }

  private write(text: string): void {
    if (this.closed || !this.out) return;
    this.out.write(text);
    this.gzip?.flush(constants.Z_SYNC_FLUSH);
  }

  private finished(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
