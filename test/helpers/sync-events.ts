import { randomUUID } from 'node:crypto';
import { SyncEventKind, SyncMeter } from '../../src/common/metering/sync-meter';
import { SyncEventRecorder } from '../../src/modules/analytics/sync-event.recorder';
import type { TestApp } from './test-app';

export interface EventSpec {
  kind?: SyncEventKind;
  user?: string | null;
  device?: string | null;
  status?: number;
  /** The request failed: recorded with status 500 whatever `status` says. */
  failed?: boolean;
  durationMs?: number;
  /** Hours before `at` (default: 10 minutes ago). */
  hoursAgo?: number;
  /** The instant `hoursAgo` counts back from (default: the wall clock when the event is recorded). */
  at?: Date;
  items?: number;
  conflicts?: number;
  domain?: string;
  bytesRaw?: number;
  bytesSent?: number;
  bytesSavedDelta?: number;
  networkType?: string;
  appVersion?: string;
}

/** A fresh device id. */
export const deviceId = (): string => `dev-${randomUUID().slice(0, 8)}`;

/** Records a hand-built sync request through the app's SyncEventRecorder (the pushes themselves come later). */
export async function recordEvent(t: TestApp, tenantId: string, spec: EventSpec = {}): Promise<void> {
  const meter = new SyncMeter(
    spec.kind ?? 'push',
    tenantId,
    spec.user === undefined ? 'user-1' : spec.user,
    spec.device === undefined ? 'device-1' : spec.device,
  );
  meter.items = spec.items ?? 0;
  meter.conflicts = spec.conflicts ?? 0;
  meter.autoResolved = spec.conflicts ?? 0;
  meter.bytesRaw = spec.bytesRaw ?? 0;
  meter.bytesSent = spec.bytesSent ?? 0;
  meter.bytesSavedDelta = spec.bytesSavedDelta ?? 0;
  meter.networkType = spec.networkType ?? null;
  meter.appVersion = spec.appVersion ?? null;
  if (spec.items || spec.conflicts) {
    meter.countDomain(spec.domain ?? 'task', {
      items: spec.items ?? 0,
      conflicts: spec.conflicts ?? 0,
      auto_resolved: spec.conflicts ?? 0,
    });
  }
  const occurredAt = new Date((spec.at ?? new Date()).getTime() - (spec.hoursAgo ?? 1 / 6) * 3_600_000);
  await t.app
    .get(SyncEventRecorder)
    .record(meter, spec.failed ? 500 : (spec.status ?? 200), { occurredAt, durationMs: spec.durationMs ?? 20 });
}
