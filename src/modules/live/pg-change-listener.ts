import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { errorMessage } from '../../common/errors/error-message';
import { ChangeHub } from './change-hub';
import { CHANGES_CHANNEL, decodeSignal } from './change-signal';

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 10_000;

/** Where change signals come from: started with the app, stopped at shutdown. */
export interface ChangeListener {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One dedicated PostgreSQL session per replica that LISTENs on the changes channel (never from the pool: a pooled
 * session would lose its LISTEN, and PgBouncer in transaction mode cannot hold one). When the session is lost it
 * reconnects with backoff and then wakes every reader, which re-reads from its own cursor: nothing is missed.
 */
export class PgChangeListener implements ChangeListener {
  private readonly logger = new Logger(PgChangeListener.name);
  private client: Client | undefined;
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connectedOnce = false;

  constructor(
    private readonly url: string,
    private readonly hub: ChangeHub,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, application_name: 'fieldsync-listen', keepAlive: true });
    client.on('notification', (message) => {
      const signal = message.channel === CHANGES_CHANNEL ? decodeSignal(message.payload) : undefined;
      if (signal) this.hub.signal(signal);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.stopped) return void client.end().catch(() => undefined);
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    if (this.connectedOnce) {
      this.logger.log('listen connection restored');
      this.hub.wakeAll();
    }
    this.connectedOnce = true;
  }

  private lost(client: Client, error: unknown): void {
    if (this.stopped || (this.client !== undefined && this.client !== client)) return;
    if (this.timer !== undefined) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    // Readers go on waiting; they re-read from their cursors once the session is back.
    this.connectedOnce = true;
    this.logger.warn(`listen connection lost (${errorMessage(error)}); retrying in ${this.retryMs} ms`);
    const delay = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref();
  }
}
