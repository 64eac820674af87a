import type { PGlitePool } from '../../database/pglite-pool';
import { ChangeHub } from './change-hub';
import { CHANGES_CHANNEL, decodeSignal } from './change-signal';
import type { ChangeListener } from './pg-change-listener';

/**
 * The embedded database is one process: its own session LISTENs, and PGlite hands the notifications to this
 * process's hub when the writing transaction commits. Same signals, no connection to lose.
 */
export class EmbeddedChangeListener implements ChangeListener {
  constructor(
    private readonly pool: PGlitePool,
    private readonly hub: ChangeHub,
  ) {}

  async start(): Promise<void> {
    await this.pool.listen(CHANGES_CHANNEL, (payload) => {
      const signal = decodeSignal(payload);
      if (signal) this.hub.signal(signal);
    });
  }

  async stop(): Promise<void> {
    // The session closes with the pool.
  }
}
