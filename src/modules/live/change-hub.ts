import { Injectable } from '@nestjs/common';
import type { ChangeSignal } from './change-signal';

/** One waiting reader of a tenant's feed (a stream or a long poll). */
export interface ChangeSubscription {
  readonly tenantId: string;
  /** Whether a signal concerns this reader; the scopes work swaps in a key filter here. */
  accepts(signal: ChangeSignal): boolean;
  /** Called at most once per coalesced burst; the reader then reads from its own cursor. */
  wake(): void;
}

/** Signals kept per tenant between two flushes; beyond, the burst wakes every reader of the tenant. */
const MAX_PENDING_SIGNALS = 256;

export const acceptAll = (): boolean => true;

/**
 * Fans commit signals out to this replica's readers, per tenant, coalesced: every signal of a tenant that arrives
 * before the next turn of the event loop is delivered as one wake-up, so a burst of commits costs each reader one
 * read. Fed by the LISTEN connection (PostgreSQL) or the embedded database's own notifications.
 */
@Injectable()
export class ChangeHub {
  private readonly readers = new Map<string, Set<ChangeSubscription>>();
  private readonly pending = new Map<string, ChangeSignal[] | 'all'>();
  private flushScheduled = false;
  private count = 0;

  get size(): number {
    return this.count;
  }

  subscribe(subscription: ChangeSubscription): () => void {
    let set = this.readers.get(subscription.tenantId);
    if (!set) this.readers.set(subscription.tenantId, (set = new Set()));
    set.add(subscription);
    this.count += 1;
    return () => {
      if (!set.delete(subscription)) return;
      this.count -= 1;
      if (set.size === 0 && this.readers.get(subscription.tenantId) === set) this.readers.delete(subscription.tenantId);
    };
  }

  signal(signal: ChangeSignal): void {
    if (!this.readers.has(signal.tenantId)) return;
    const queued = this.pending.get(signal.tenantId);
    if (queued === 'all') return;
    if (!queued) this.pending.set(signal.tenantId, [signal]);
    else if (queued.length >= MAX_PENDING_SIGNALS) this.pending.set(signal.tenantId, 'all');
    else queued.push(signal);
    this.scheduleFlush();
  }

  /** Wakes every reader: signals may have been lost (the listen connection was down). */
  wakeAll(): void {
    for (const tenantId of this.readers.keys()) this.pending.set(tenantId, 'all');
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const pending = [...this.pending];
    this.pending.clear();
    for (const [tenantId, signals] of pending) {
      for (const reader of this.readers.get(tenantId) ?? []) {
        if (signals === 'all' || signals.some((signal) => reader.accepts(signal))) reader.wake();
      }
    }
  }
}
