import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { DAY_MS } from '../../common/time/instant';
import { SyncEventRepository } from './sync-event.repository';

/** sync_event rows are kept this long; snapshots keep the figures after that. */
const SYNC_EVENT_RETENTION_DAYS = 90;

@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: SyncEventRepository,
  ) {}

  /**
   * Drops old sync_event rows once per day across replicas. Revisions go with the history purge (SyncPurgeService),
   * which also waits until every active device has seen them.
   */
  async runRetention(now = new Date()): Promise<{ events: number } | undefined> {
    const day = now.toISOString().slice(0, 10);
    const outcome = await withAdvisoryXactLock(this.db, `analytics:retention:${day}`, async (m) => ({
      events: await this.events.pruneOlderThan(m, new Date(now.getTime() - SYNC_EVENT_RETENTION_DAYS * DAY_MS)),
    }));
    if (!outcome.ran) return undefined;
    this.logger.log(`retention: ${outcome.result.events} events deleted`);
    return outcome.result;
  }
}
