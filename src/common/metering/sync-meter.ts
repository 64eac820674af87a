import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';

export type SyncEventKind = 'push' | 'pull' | 'partial';

export interface DomainCounts {
  items: number;
  conflicts: number;
  auto_resolved: number;
  manual: number;
}

/**
 * What one sync request did, filled in by the services as they work and by the HTTP layer when the response
 * leaves (bytes), then handed to the SyncEventSink once the response is sent. One sync_event row per request.
 */
export class SyncMeter {
  readonly startedAt = process.hrtime.bigint();
  items = 0;
  conflicts = 0;
  autoResolved = 0;
  manual = 0;
  /** Compact JSON bytes of the response body before compression. */
  bytesRaw = 0;
  /** Bytes of the response body on the wire (after compression). */
  bytesSent = 0;
  /** Bytes not sent because records went as deltas instead of full copies. */
  bytesSavedDelta = 0;
  networkType: string | null = null;
  appVersion: string | null = null;
  osVersion: string | null = null;
  clockOffsetMs: number | null = null;
  /** Pushed items upcast from an older schema version. */
  upcastItems = 0;
  readonly domainCounts: Record<string, DomainCounts> = {};

  constructor(
    readonly kind: SyncEventKind,
    readonly tenantId: string,
    readonly userId: string | null,
    readonly deviceId: string | null,
  ) {}

  countDomain(domain: string, counts: Partial<DomainCounts>): void {
    const entry = (this.domainCounts[domain] ??= { items: 0, conflicts: 0, auto_resolved: 0, manual: 0 });
    entry.items += counts.items ?? 0;
    entry.conflicts += counts.conflicts ?? 0;
    entry.auto_resolved += counts.auto_resolved ?? 0;
    entry.manual += counts.manual ?? 0;
  }

  durationMs(now = process.hrtime.bigint()): number {
    return Number(now - this.startedAt) / 1e6;
  }
}

/** Receives each finished sync request from the HTTP pipeline; the analytics module implements it. */
export interface SyncEventSink {
  record(meter: SyncMeter, statusCode: number): Promise<void>;
}

export type MeteredRequest = FastifyRequest & { principal?: Principal; syncMeter?: SyncMeter };

/** Hands the handler a fresh SyncMeter for this request (and keeps it on the request for the response hooks). */
export const Meter = createParamDecorator((kind: SyncEventKind, context: ExecutionContext): SyncMeter => {
  const request = context.switchToHttp().getRequest<MeteredRequest>();
  const principal = request.principal;
  if (!principal) throw new Error('Meter used on a route without authentication');
  request.syncMeter ??= new SyncMeter(kind, principal.tenantId, principal.userId, principal.deviceId);
  return request.syncMeter;
});
