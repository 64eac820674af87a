import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { DAY_MS } from '../../common/time/instant';
import { errorMessage } from '../../common/errors/error-message';
import { AppConfig } from '../../config/app-config';
import { dropTables, ensurePartitions, partitionsBefore, TimePartitionedTable } from '../../database/time-partitions';
import { SyncEventRepository } from './sync-event.repository';

/** sync_event: partitioned by UTC day on occurred_at (migration PartitionSyncEvent). */
export const SYNC_EVENT_PARTITIONS: TimePartitionedTable = { table: 'sync_event', column: 'occurred_at' };

/**
 * Partitions dropped per transaction, in one DROP statement: the parent's lock is held for one short commit per
 * group (pushes' event inserts wait that long at most), and far fewer commits than one per partition.
 */
const DROP_BATCH = 10;

export interface RetentionOutcome {
  /** Partitions dropped whole. */
  partitions: number;
  /** Rows deleted one by one: only from the default partition (rows that fell outside every daily partition). */
  events: number;
}

@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: SyncEventRepository,
    private readonly config: AppConfig,
  ) {}

  /** A fresh database has today's partition and the next days' before the first request (the default one catches the rest). */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.ensurePartitions();
    } catch (error) {
      this.logger.error(`sync_event partitions: ${errorMessage(error)}`);
    }
  }

  /** Creates today's and the next PARTITION_DAYS_AHEAD days' partitions, once across replicas. */
  async ensurePartitions(now = new Date()): Promise<string[]> {
    const outcome = await withAdvisoryXactLock(this.db, 'analytics:partitions', (m) =>
      ensurePartitions(m, SYNC_EVENT_PARTITIONS, now, this.config.get('PARTITION_DAYS_AHEAD')),
    );
    const created = outcome.ran ? outcome.result : [];
    if (created.length > 0) this.logger.log(`sync_event partitions created: ${created.join(', ')}`);
    return created;
  }

  /**
   * Drops the daily partitions older than SYNC_EVENT_RETENTION_DAYS, DROP_BATCH per short transaction (the DROP
   * takes the parent's lock only for that moment, so pushes recording their events wait milliseconds at most), and
   * deletes the default partition's old rows. Retention is by whole UTC day: a row goes 90 to 91 days after it was
   * written. Revisions go with the history purge (SyncPurgeService), which also waits until every active device
   * has seen them.
   */
  async runRetention(now = new Date()): Promise<RetentionOutcome | undefined> {
    const day = now.toISOString().slice(0, 10);
    const cutoff = new Date(now.getTime() - this.config.get('SYNC_EVENT_RETENTION_DAYS') * DAY_MS);
    const elected = await withAdvisoryXactLock(this.db, `analytics:retention:${day}`, async (m) => ({
      events: await this.events.pruneOlderThan(m, cutoff, `${SYNC_EVENT_PARTITIONS.table}_default`),
    }));
    if (!elected.ran) return undefined;
    const old = (await partitionsBefore(this.db, SYNC_EVENT_PARTITIONS, cutoff)).map((p) => p.name);
    let partitions = 0;
    for (let start = 0; start < old.length; start += DROP_BATCH) {
      const names = old.slice(start, start + DROP_BATCH);
      const dropped = await withAdvisoryXactLock(this.db, 'analytics:partitions', (m) => dropTables(m, names));
      if (dropped.ran) partitions += names.length;
    }
    const outcome = { partitions, events: elected.result.events };
    this.logger.log(`retention: ${outcome.partitions} sync_event partitions dropped, ${outcome.events} events deleted`);
    return outcome;
  }
}
