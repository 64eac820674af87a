import { Injectable } from '@nestjs/common';
import type { Queryable } from '../../database/sql';
import { DirectoryService } from './directory.service';
import { FeedRecordRow, ScopedRecordRow, ScopeIndexRepository } from './scope-index.repository';
import { userKey } from './scope.policy';

/** Where a back-fill of newly granted keys stands: keys granted in (known, target], walked in key order. */
export interface BackfillPosition {
  target: string;
  key: string;
  /** The last record sent under `key`; null at the start of the key. */
  after: ScopedRecordRow | null;
}

export interface FeedPosition {
  /** The last change_seq of the log sent. */
  seq: string;
  /**
   * Keys granted at or below this change_seq need no back-fill (their records came through the log or a back-fill).
   * Never below `seq`, except during a back-fill of every key from the start (known 0 below seq: see fullBackfill).
   */
  known: string;
  backfill: BackfillPosition | null;
}

/** A back-filled record and the granted key it came under. */
export type BackfillRecord = ScopedRecordRow & { key: string };

type BackfillPage = { kind: 'backfill'; records: BackfillRecord[]; position: FeedPosition; hasMore: boolean };

/**
 * A page, with the keys it was read through (a live reader wakes for changes of those keys) and the position it was
 * read from (the one asked for, or for a pull from the start of a purged log, that of the back-fill it begins).
 */
export type FeedPage = { keys: string[]; from: FeedPosition } & (
  { kind: 'log'; records: FeedRecordRow[]; position: FeedPosition; hasMore: boolean } | BackfillPage
);

function max(a: string, b: string): string {
  return BigInt(a) >= BigInt(b) ? a : b;
}

/** A back-fill of every key the principal holds (a pull from the start of a log purged up to `seq`). */
function fullBackfill(from: FeedPosition): boolean {
  return BigInt(from.known) < BigInt(from.seq);
}

/**
 * The feed of one principal: the logs of the keys it holds, and a back-fill of the current records of keys granted
 * after its cursor (so a new membership needs no resync).
 */
@Injectable()
export class ScopeFeedService {
  constructor(
    private readonly index: ScopeIndexRepository,
    private readonly directory: DirectoryService,
  ) {}

  async page(
    db: Queryable,
    tenantId: string,
    userId: string,
    asked: FeedPosition,
    domains: string[] | null,
    limit: number,
  ): Promise<FeedPage> {
    const grants = await this.directory.grantsOf(db, tenantId, userId);
    // The user's own key even when it holds none (deactivated): a directory change wakes its readers through it.
    const keys = [...new Set([userKey(userId), ...grants.keys()])].sort();
    let from = asked;
    if (asked.seq === '0' && asked.backfill === null && grants.size > 0) {
      // The history purge may have dropped the log at or below the purge horizon: from the start, every key's current
      // records come from record_scope (those changed at or below it), then the log goes on from the horizon.
      const start = await this.index.logStart(db, tenantId);
      if (start !== '0') {
        const target = [...grants.values()].reduce(max, start);
        from = { seq: start, known: '0', backfill: { target, key: [...grants.keys()].sort()[0], after: null } };
      }
    }
    const floor = max(from.seq, from.known);
    let backfill = from.backfill;
    // From the start of the log every key's records come through the log itself.
    if (backfill === null && from.seq !== '0') {
      const fresh = [...grants.entries()].filter(([, seq]) => BigInt(seq) > BigInt(floor));
      if (fresh.length > 0) {
        const target = fresh.reduce((top, [, seq]) => max(top, seq), floor);
        backfill = { target, key: fresh.map(([key]) => key).sort()[0], after: null };
      }
    }
    if (backfill !== null) {
      return {
        keys,
        from,
        ...(await this.backfillPage(db, tenantId, grants, { ...from, backfill }, domains, limit)),
      };
    }
    const records = await this.index.feedAfter(db, tenantId, [...grants.keys()].sort(), from.seq, domains, limit);
    const seq = records.reduce((top, row) => max(top, row.last_seq), from.seq);
    return {
      keys,
      from,
      kind: 'log',
      records,
      position: { seq, known: max(seq, from.known), backfill: null },
      hasMore: records[0]?.has_more ?? false,
    };
  }

  private async backfillPage(
    db: Queryable,
    tenantId: string,
    grants: Map<string, string>,
    from: FeedPosition & { backfill: BackfillPosition },
    domains: string[] | null,
    limit: number,
  ): Promise<BackfillPage> {
    const floor = BigInt(max(from.seq, from.known));
    const target = BigInt(from.backfill.target);
    const all = fullBackfill(from);
    const keys = [...grants.entries()]
      .filter(([key, seq]) => (all || BigInt(seq) > floor) && BigInt(seq) <= target && key >= from.backfill.key)
      .map(([key]) => key)
      .sort();
    const records: BackfillRecord[] = [];
    let last: BackfillPosition | null = null;
    for (const key of keys) {
      const after = key === from.backfill.key ? from.backfill.after : null;
      const rows = await this.index.recordsOfKey(db, tenantId, key, after, domains, limit + 1 - records.length);
      for (const row of rows) {
        if (records.length === limit) {
          return { kind: 'backfill', records, position: { ...from, backfill: last }, hasMore: true };
        }
        records.push({ ...row, key });
        last = { target: from.backfill.target, key, after: row };
      }
    }
    // The back-fill is done: those keys are known from here on, and the log continues where it stood.
    return {
      kind: 'backfill',
      records,
      position: { seq: from.seq, known: from.backfill.target, backfill: null },
      hasMore: true,
    };
  }
}
