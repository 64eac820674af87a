import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { DAY_MS } from '../../common/time/instant';
import { AppConfig } from '../../config/app-config';
import { SyncRecordRepository } from '../sync/sync-record.repository';
import { SyncEventRepository } from './sync-event.repository';

/** sync_event rows are kept this long; snapshots keep the figures after that. */
const SYNC_EVENT_RETENTION_DAYS = 90;

@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly events: SyncEventRepository,
    private readonly records: SyncRecordRepository,
  ) {}

  /** Drops old sync_event rows and record revisions past REVISION_RETENTION_DAYS, once per day across replicas. */
  async runRetention(now = new Date()): Promise<{ events: number; revisions: number } | undefined> {
    const day = now.toISOString().slice(0, 10);
    const outcome = await withAdvisoryXactLock(this.db, `analytics:retention:${day}`, async (m) => ({
      events: await this.events.pruneOlderThan(m, new Date(now.getTime() - SYNC_EVENT_RETENTION_DAYS * DAY_MS)),
      revisions: await this.records.pruneRevisions(
        m,
        new Date(now.getTime() - this.config.get('REVISION_RETENTION_DAYS') * DAY_MS),
      ),
    }));
    if (!outcome.ran) return undefined;
    this.logger.log(`retention: ${outcome.result.events} events, ${outcome.result.revisions} revisions deleted`);
    return outcome.result;
  }
}
