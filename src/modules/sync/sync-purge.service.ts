import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { DAY_MS } from '../../common/time/instant';
import { AppConfig } from '../../config/app-config';
import { isEmbedded } from '../../database/data-source-options';
import {
  listBlocks,
  lowestSeqInFlight,
  SCOPE_CHANGE_PARTITIONS,
  sequencePosition,
} from '../../database/seq-partitions';
import { dropTables } from '../../database/time-partitions';
import { SyncDeviceCursorRepository } from './sync-device-cursor.repository';
import { SyncHistoryRepository } from './sync-history.repository';

export interface PurgeOutcome {
  tombstones: number;
  revisions: number;
  /** scope_change partitions (blocks of change_seq) dropped whole. */
  scopeLogPartitions: number;
  /** Tenant id → purge horizon after the run, for the tenants whose horizon moved. */
  horizons: Record<string, string>;
}

/**
 * Purges tombstones and superseded revisions that every active device (seen in DEVICE_ACTIVE_DAYS) has already
 * pulled past and that are older than TOMBSTONE_MIN_AGE_DAYS. One replica at a time (a transaction-scoped
 * advisory lock held by a transaction that touches no rows); the deletes run in their own short transactions of
 * PURGE_BATCH_SIZE rows, so a push waits at most for one batch and never on the whole purge, and each batch is
 * followed by a pause of PURGE_PAUSE_RATIO times its own time, so the purge leaves most of the machine to pushes.
 */
@Injectable()
export class SyncPurgeService {
  private readonly logger = new Logger(SyncPurgeService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly positions: SyncDeviceCursorRepository,
    private readonly history: SyncHistoryRepository,
  ) {}

  async runPurge(now = new Date()): Promise<PurgeOutcome | undefined> {
    // The embedded database is one process with one connection: the lock's idle transaction would hold it.
    const outcome = isEmbedded(this.config)
      ? { ran: true as const, result: await this.purge(now) }
      : await withAdvisoryXactLock(this.db, 'sync:history-purge', () => this.purge(now));
    if (!outcome.ran) return undefined;
    const { tombstones, revisions, scopeLogPartitions } = outcome.result;
    this.logger.log(
      `history purge: ${tombstones} tombstones, ${revisions} revisions deleted, ${scopeLogPartitions} scope_change partitions dropped`,
    );
    return outcome.result;
  }

  private async purge(now: Date): Promise<PurgeOutcome> {
    const activeSince = new Date(now.getTime() - this.config.get('DEVICE_ACTIVE_DAYS') * DAY_MS);
    const minAgeDays = this.config.get('TOMBSTONE_MIN_AGE_DAYS');
    const tombstoneCutoff = new Date(now.getTime() - minAgeDays * DAY_MS);
    const revisionCutoff = new Date(
      now.getTime() - Math.max(minAgeDays, this.config.get('REVISION_RETENTION_DAYS')) * DAY_MS,
    );
    const batch = this.config.get('PURGE_BATCH_SIZE');
    const outcome: PurgeOutcome = { tombstones: 0, revisions: 0, scopeLogPartitions: 0, horizons: {} };

    for (const { tenant_id: tenantId, target } of await this.history.purgeTargets(
      this.db,
      tombstoneCutoff,
      activeSince,
    )) {
      // Committed before any delete: a pull that could miss a purged tombstone sees the new horizon.
      await this.positions.raiseHorizon(this.db, tenantId, target);
      outcome.horizons[tenantId] = await this.positions.horizon(this.db, tenantId);
      let after = '0';
      for (;;) {
        const done = await this.paced(() =>
          this.db.transaction((m) =>
            this.history.purgeTombstoneBatch(m, tenantId, after, target, tombstoneCutoff, batch),
          ),
        );
        outcome.tombstones += done.records;
        outcome.revisions += done.revisions;
        if (done.last === null) break;
        after = done.last;
      }
    }

    const lows = new Map(
      (await this.positions.lowestActivePositions(this.db, activeSince)).map((row) => [row.tenant_id, row.low]),
    );
    for (const tenantId of await this.history.tenantsWithOldRevisions(this.db, revisionCutoff)) {
      for (;;) {
        const n = await this.paced(() =>
          this.db.transaction((m) =>
            this.history.purgeRevisionBatch(m, tenantId, lows.get(tenantId) ?? null, revisionCutoff, batch),
          ),
        );
        outcome.revisions += n;
        if (n < batch) break;
      }
    }
    outcome.scopeLogPartitions = await this.dropScopeLog(lows, tombstoneCutoff, outcome.horizons);
    return outcome;
  }

  /**
   * Drops the lowest scope_change blocks, in order, while each lies wholly below the purge horizon it may have: the
   * sequence and every writer in flight are past it, its newest entry is older than TOMBSTONE_MIN_AGE_DAYS, and no
   * active device of a tenant with entries in it stands below its last position. The horizon of those tenants is
   * first raised to that last position (committed before the DROP), so a cursor below it gets 410 RESYNC_REQUIRED and
   * a pull from the start back-fills from record_scope (ScopeFeedService): no silent gap. One block per short
   * transaction (DROP under lock_timeout; the parent's lock is held for that commit only).
   */
  private async dropScopeLog(
    lows: Map<string, string>,
    olderThan: Date,
    horizons: Record<string, string>,
  ): Promise<number> {
    const position = await sequencePosition(this.db);
    const inFlight = await lowestSeqInFlight(this.db);
    let dropped = 0;
    for (const block of await listBlocks(this.db, SCOPE_CHANGE_PARTITIONS)) {
      const last = block.to - 1n;
      if (last > position || (inFlight !== null && inFlight <= last)) break;
      const holders = await this.history.scopeLogHolders(this.db, block.name);
      const held = holders.some(
        (h) => h.newest >= olderThan || (lows.has(h.tenant_id) && BigInt(lows.get(h.tenant_id)!) < last),
      );
      if (held) break;
      const tenants = holders.map((h) => h.tenant_id);
      for (const row of await this.positions.raiseHorizons(this.db, tenants, last.toString())) {
        horizons[row.tenant_id] = row.horizon;
      }
      await this.db.transaction((m) => dropTables(m, [block.name]));
      dropped++;
    }
    return dropped;
  }

  /**
   * Runs one batch, then rests PURGE_PAUSE_RATIO times as long as the batch took (a duty cycle): the purge's share
   * of CPU and I/O stays bounded whatever the machine's speed, and pushes get the database between batches. No
   * transaction of the batches stays open during the pause (only the advisory lock's, which touches no rows).
   */
  private async paced<T>(batch: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await batch();
    const pause = (performance.now() - started) * this.config.get('PURGE_PAUSE_RATIO');
    if (pause >= 1) await new Promise((resolve) => setTimeout(resolve, pause));
    return result;
  }
}
