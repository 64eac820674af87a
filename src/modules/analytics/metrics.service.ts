import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { priorityFromRank, PRIORITIES } from '../../common/domain';
import type { FinishedRequest, RequestObserver } from '../../common/http/http-pipeline';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { QueueStatsService } from '../queue/queue-stats.service';

/** How often the scheduled task refreshes the gauges that need the database. */
export const METRICS_REFRESH_MS = 15_000;

/** Prometheus metrics of this app instance: its own registry, never prom-client's global one. */
@Injectable()
export class MetricsService implements RequestObserver {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'fieldsync_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: 'fieldsync_http_request_duration_seconds',
    help: 'HTTP request durations by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly items = new Counter({
    name: 'fieldsync_sync_items_total',
    help: 'Items handled by sync requests, by request kind (push items are the pushed mutations)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly conflicts = new Counter({
    name: 'fieldsync_sync_conflicts_total',
    help: 'Conflicts by domain and result (auto_resolved, manual)',
    labelNames: ['domain', 'result'] as const,
    registers: [this.registry],
  });
  private readonly bytesSent = new Counter({
    name: 'fieldsync_sync_bytes_sent_total',
    help: 'Response bytes of sync requests on the wire',
    registers: [this.registry],
  });
  private readonly bytesSaved = new Counter({
    name: 'fieldsync_sync_bytes_saved_total',
    help: 'Bytes saved by compression and deltas, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private readonly pending = new Gauge({
    name: 'fieldsync_queue_pending_items',
    help: `Pending sync queue items of all tenants by priority (refreshed every ${METRICS_REFRESH_MS / 1000} s)`,
    labelNames: ['priority'] as const,
    registers: [this.registry],
  });

  constructor(private readonly queueStats: QueueStatsService) {
    for (const priority of PRIORITIES) this.pending.set({ priority }, 0);
  }

  /**
   * Reads the cross-tenant gauges: called by MetricsScheduler, never by a scrape, so scrapers cost no SQL however
   * many there are.
   */
  async refreshGauges(): Promise<void> {
    const rows = await this.queueStats.pendingByPriority();
    const counts = new Map(rows.map((row) => [priorityFromRank(row.priority), row.n]));
    for (const priority of PRIORITIES) this.pending.set({ priority }, counts.get(priority) ?? 0);
  }

  observeRequest(request: FinishedRequest): void {
    const labels = { method: request.method, route: request.route, status: String(request.statusCode) };
    this.requests.inc(labels);
    this.durations.observe(labels, request.durationMs / 1000);
  }

  observeSyncEvent(meter: SyncMeter): void {
    this.items.inc({ kind: meter.kind }, meter.items);
    for (const [domain, counts] of Object.entries(meter.domainCounts)) {
      if (counts.auto_resolved > 0) this.conflicts.inc({ domain, result: 'auto_resolved' }, counts.auto_resolved);
      if (counts.manual > 0) this.conflicts.inc({ domain, result: 'manual' }, counts.manual);
    }
    this.bytesSent.inc(meter.bytesSent);
    this.bytesSaved.inc({ source: 'compression' }, Math.max(0, meter.bytesRaw - meter.bytesSent));
    this.bytesSaved.inc({ source: 'delta' }, meter.bytesSavedDelta);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
