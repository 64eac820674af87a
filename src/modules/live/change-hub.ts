import { Injectable } from '@nestjs/common';
import type { ChangeSignal } from './change-signal';

/** One waiting reader of a tenant's feed (a stream or a long poll). */
export interface ChangeSubscription {
  readonly tenantId: string;
  /** Called at most once per coalesced burst; the reader then reads from its own cursor. */
  wake(): void;
}

/** A reader's place in the hub: narrowed to the scope keys it reads through, or tenant-wide (null). */
export interface ChangeHandle {
  /** The keys whose changes wake this reader from now on; null: every change of its tenant. */
  setKeys(keys: Iterable<string> | null): void;
  unsubscribe(): void;
}

/** Keys kept per tenant between two flushes; beyond, the burst wakes every reader of the tenant. */
const MAX_PENDING_KEYS = 4096;

/** A tenant's readers: those that take every change, and the others indexed by each key they read through. */
interface TenantReaders {
  all: Set<ChangeSubscription>;
  byKey: Map<string, Set<ChangeSubscription>>;
  size: number;
}

/**
 * Fans commit signals out to this replica's readers, per tenant, coalesced: every signal of a tenant that arrives
 * before the next turn of the event loop is delivered as one wake-up, so a burst of commits costs each reader one
 * read. A signal that names scope keys wakes only the readers of those keys (and the tenant-wide ones); one without
 * keys wakes the whole tenant. Readers are indexed by key, so a commit costs the keys it names and the readers it
 * wakes, never a visit to every idle reader. Fed by the LISTEN connection (PostgreSQL) or the embedded database.
 */
@Injectable()
export class ChangeHub {
  private readonly tenants = new Map<string, TenantReaders>();
  private readonly pending = new Map<string, Set<string> | 'all'>();
  private flushScheduled = false;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Subscribes tenant-wide; narrow with setKeys once the reader knows its keys. */
  subscribe(subscription: ChangeSubscription): ChangeHandle {
    const tenantId = subscription.tenantId;
    let readers = this.tenants.get(tenantId);
    if (!readers) this.tenants.set(tenantId, (readers = { all: new Set(), byKey: new Map(), size: 0 }));
    const tenant = readers;
    let keys: string[] | null = null;
    let active = true;
    tenant.all.add(subscription);
    tenant.size += 1;
    this.count += 1;
    const detach = (): void => {
      if (keys === null) tenant.all.delete(subscription);
      else for (const key of keys) removeFrom(tenant.byKey, key, subscription);
    };
    return {
      setKeys: (next) => {
        if (!active) return;
        detach();
        keys = next === null ? null : [...new Set(next)];
        if (keys === null) tenant.all.add(subscription);
        else for (const key of keys) addTo(tenant.byKey, key, subscription);
      },
      unsubscribe: () => {
        if (!active) return;
        active = false;
        detach();
        tenant.size -= 1;
        this.count -= 1;
        if (tenant.size === 0 && this.tenants.get(tenantId) === tenant) this.tenants.delete(tenantId);
      },
    };
  }

  signal(signal: ChangeSignal): void {
    if (!this.tenants.has(signal.tenantId)) return;
    const queued = this.pending.get(signal.tenantId);
    if (queued === 'all') return;
    if (!signal.keys || (queued?.size ?? 0) + signal.keys.length > MAX_PENDING_KEYS) {
      this.pending.set(signal.tenantId, 'all');
    } else if (!queued) {
      this.pending.set(signal.tenantId, new Set(signal.keys));
    } else {
      for (const key of signal.keys) queued.add(key);
    }
    this.scheduleFlush();
  }

  /** Wakes every reader: signals may have been lost (the listen connection was down). */
  wakeAll(): void {
    for (const tenantId of this.tenants.keys()) this.pending.set(tenantId, 'all');
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
    for (const [tenantId, keys] of pending) {
      const tenant = this.tenants.get(tenantId);
      if (!tenant) continue;
      const woken = new Set<ChangeSubscription>(tenant.all);
      if (keys === 'all') for (const readers of tenant.byKey.values()) for (const reader of readers) woken.add(reader);
      else for (const key of keys) for (const reader of tenant.byKey.get(key) ?? []) woken.add(reader);
      for (const reader of woken) reader.wake();
    }
  }
}

function addTo(index: Map<string, Set<ChangeSubscription>>, key: string, reader: ChangeSubscription): void {
  let readers = index.get(key);
  if (!readers) index.set(key, (readers = new Set()));
  readers.add(reader);
}

function removeFrom(index: Map<string, Set<ChangeSubscription>>, key: string, reader: ChangeSubscription): void {
  const readers = index.get(key);
  if (readers?.delete(reader) && readers.size === 0) index.delete(key);
}
