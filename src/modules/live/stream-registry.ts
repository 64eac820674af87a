import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { EventStream } from './event-stream';

/**
 * This replica's open streams and waiting long polls: the connection cap, one shared heartbeat tick for all of
 * them (no timer per connection), the slow-reader bound, and a polite close at shutdown.
 */
@Injectable()
export class StreamRegistry implements BeforeApplicationShutdown {
  private readonly streams = new Set<EventStream>();
  private readonly waiters = new Set<() => void>();
  private tick: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly config: AppConfig) {}

  get openStreams(): number {
    return this.streams.size;
  }

  get retryMs(): number {
    return this.config.get('STREAM_RETRY_MS');
  }

  hasRoom(): boolean {
    return !this.closing && this.streams.size + this.waiters.size < this.config.get('STREAM_MAX_CONNECTIONS');
  }

  add(stream: EventStream): void {
    this.streams.add(stream);
    stream.onClose(() => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stopTick();
    });
    this.tick ??= setInterval(() => this.heartbeat(), this.config.get('STREAM_HEARTBEAT_MS')).unref();
  }

  /** Sends an event unless the client is too far behind, in which case it is cut off (it resumes later). */
  send(stream: EventStream, event: string, data: unknown, id?: string): boolean {
    if (stream.buffered() > this.config.get('STREAM_MAX_BUFFERED_BYTES')) {
      stream.cut();
      return false;
    }
    stream.send(event, data, id);
    return !stream.isClosed;
  }

  /** A long poll waits; false when the replica is full or closing (it answers at once instead). */
  addWaiter(wake: () => void): boolean {
    if (!this.hasRoom()) return false;
    this.waiters.add(wake);
    return true;
  }

  removeWaiter(wake: () => void): void {
    this.waiters.delete(wake);
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    this.stopTick();
    for (const stream of [...this.streams]) stream.end(this.retryMs);
    for (const wake of [...this.waiters]) wake();
  }

  private heartbeat(): void {
    for (const stream of [...this.streams]) this.send(stream, 'heartbeat', {});
  }

  private stopTick(): void {
    clearInterval(this.tick);
    this.tick = undefined;
  }
}
