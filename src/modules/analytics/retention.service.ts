import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { DAY_MS } from '../../common/time/instant';
import { errorMessage } from '../../common/errors/error-message';
import { AppConfig } from '../../config/app-config';
import { isEmbedded } from '../../database/data-source-options';
import { ensureBlocks, SCOPE_CHANGE_PARTITIONS } from '../../database/seq-partitions';
import {
  DROP_CONCURRENCY,
  dropInGroups,
  dropTables,
  ensurePartitions,
  partitionsBefore,
  TimePartitionedTable,
} from '../../database/time-partitions';
import { SyncEventRepository } from './sync-event.repository';

/** sync_event: partitioned by UTC day on occurred_at (migration PartitionSyncEvent). */
export const SYNC_EVENT_PARTITIONS: TimePartitionedTable = { table: 'sync_event', column: 'occurred_at' };

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
    try {
      await this.ensureScopeLogPartitions();
    } catch (error) {
      this.logger.error(`scope_change partitions: ${errorMessage(error)}`);
    }
  }

  /**
   * Keeps SCOPE_CHANGE_PARTITIONS_AHEAD empty scope_change blocks above the sequence's position, once across
   * replicas; rows that landed in the default partition (the sequence outran the blocks between two runs) are moved
   * into the blocks created for them, and any left there are logged as an error (an alert: raise the block size or
   * the blocks ahead). Returns the names created.
   */
  async ensureScopeLogPartitions(): Promise<string[]> {
    const outcome = await withAdvisoryXactLock(this.db, 'scope:partitions', (m) =>
      ensureBlocks(
        m,
        SCOPE_CHANGE_PARTITIONS,
        this.config.get('SCOPE_CHANGE_PARTITION_SIZE'),
        this.config.get('SCOPE_CHANGE_PARTITIONS_AHEAD'),
      ),
    );
    if (!outcome.ran) return [];
    const { created, strays } = outcome.result;
    if (created.length > 0) this.logger.log(`scope_change partitions created: ${created.join(', ')}`);
    if (strays > 0) this.logger.error(`scope_change_default holds ${strays} rows outside every partition`);
    return created;
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
   * takes the parent's lock only for that moment, so pushes recording their events wait milliseconds at most),
   * DROP_CONCURRENCY transactions at once (their files are unlinked after the locks are released, side by side), and
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
    // Drops share the partitions lock (they run side by side) and exclude only partition creation.
    const partitions = await dropInGroups(old, isEmbedded(this.config) ? 1 : DROP_CONCURRENCY, async (names) => {
      const dropped = await withAdvisoryXactLock(
        this.db,
        'analytics:partitions',
        (m) => dropTables(m, names),
        'shared',
      );
      return dropped.ran;
    });
    const outcome = { partitions, events: elected.result.events };
    this.logger.log(`retention: ${outcome.partitions} sync_event partitions dropped, ${outcome.events} events deleted`);
    return outcome;
  }
}
