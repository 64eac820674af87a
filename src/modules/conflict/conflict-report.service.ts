import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException } from '../../common/errors/app-exception';
import { DAY_MS } from '../../common/time/instant';
import { ConflictLogRepository } from './conflict-log.repository';
import type { ConflictReportDto, HotspotDto } from './dto/conflict.dto';

const DEFAULT_DAYS = 7;
const HOTSPOT_LIMIT = 5;
const TOP_DEVICES_LIMIT = 5;

/** The `days` days up to `until`; analytics passes its own `until` so a report covers its period. */
function window(days: number, until: Date): { since: Date; until: Date } {
  if (!Number.isInteger(days) || days < 1 || days > 365) throw AppException.validation('days must be 1..365');
  return { since: new Date(until.getTime() - days * DAY_MS), until };
}

/** Counts over the conflict log: hotspots and the conflict report. */
@Injectable()
export class ConflictReportService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly logs: ConflictLogRepository,
  ) {}

  /** Domains with the most conflicts in the last `days` days (tenant only, top 5, most first). */
  async hotspots(tenantId: string, days = DEFAULT_DAYS, until: Date = new Date()): Promise<HotspotDto[]> {
    const range = window(days, until);
    const rows = await this.logs.countByDomain(this.db, tenantId, range.since, range.until, HOTSPOT_LIMIT);
    return rows.map((row) => ({ domain: row.key, conflict_count: row.count }));
  }

  /** Conflict counts of the last `days` days by domain, strategy and result, pending reviews and top devices. */
  async report(tenantId: string, days = DEFAULT_DAYS, until: Date = new Date()): Promise<ConflictReportDto> {
    const range = window(days, until);
    const counts = await this.logs.counts(this.db, tenantId, range.since, range.until, TOP_DEVICES_LIMIT);
    return {
      days,
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      total: counts.total,
      by_domain: counts.by_domain.map((c) => ({ domain: c.key, count: c.count })),
      by_strategy: counts.by_strategy.map((c) => ({ strategy: c.key, count: c.count })),
      by_result: counts.by_result.map((c) => ({ result: c.key, count: c.count })),
      pending_reviews: counts.pending_reviews,
      top_devices: counts.top_devices.map((c) => ({ device_id: c.key, conflict_count: c.count })),
    };
  }
}
