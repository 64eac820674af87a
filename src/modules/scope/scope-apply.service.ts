import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { advisoryKey } from '../../database/advisory-lock';
import type { Domain } from '../../common/domain';
import { Queryable, sqlOne } from '../../database/sql';
import { CHANGES_CHANNEL, encodeSignal } from '../live/change-signal';
import { RecordPageRow, SyncRecordStore } from '../sync/sync-record-store.service';
import { KeyChangeRow, ScopeIndexRepository } from './scope-index.repository';
import { refKey, ScopeIndexService } from './scope-index.service';
import { keyChanges } from './scope.policy';
import { DEFAULT_RULES, SyncRules } from './sync-rules.policy';
import { SyncRulesRepository } from './sync-rules.repository';

export const APPLY_BATCH = 500;
/** Batches one tick applies per tenant before it lets the next tick continue. */
const BATCHES_PER_TICK = 200;

export interface RecordDiff {
  domain: string;
  mobile_id: string;
  stored: string[];
  expected: string[];
  created_by: string | null;
}

function refOf(record: RecordPageRow): { domain: string; mobile_id: string } {
  return { domain: record.domain, mobile_id: record.mobile_id };
}

export interface BatchDiff {
  records: RecordPageRow[];
  diffs: RecordDiff[];
}

export interface CheckReport {
  tenant_id: string;
  records: number;
  differing: number;
  missing_keys: number;
  extra_keys: number;
  sample: RecordDiff[];
}

/**
 * Brings record_scope to the rules in force in the background: a new rules version, and the records stored before
 * scopes existed (a migration queues their tenants). Each batch is one short transaction holding the tenant's
 * apply lock and the records' locks; its additions and removals are logged with reason rules_changed, so devices
 * receive them as an incremental diff. The consistency check recomputes the same diff and only reports it.
 */
@Injectable()
export class ScopeApplyService {
  private readonly logger = new Logger(ScopeApplyService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rules: SyncRulesRepository,
    private readonly records: SyncRecordStore,
    private readonly index: ScopeIndexRepository,
    private readonly scopes: ScopeIndexService,
  ) {}

  /** Applies pending rule versions of every tenant, a bounded number of batches per tenant. */
  async applyPending(): Promise<number> {
    let batches = 0;
    for (const tenantId of await this.rules.pending(this.db)) {
      for (let i = 0; i < BATCHES_PER_TICK; i++) {
        const outcome = await this.applyBatch(tenantId);
        if (outcome === 'busy' || outcome === 'done') break;
        batches++;
      }
    }
    return batches;
  }

  /** One batch of the tenant's pending rules version, in its own transaction. */
  async applyBatch(tenantId: string, limit = APPLY_BATCH): Promise<'busy' | 'done' | 'more'> {
    return this.db.transaction(async (tx) => {
      const locked = await sqlOne<{ locked: boolean }>(tx, 'SELECT pg_try_advisory_xact_lock($1) AS locked', [
        advisoryKey(`scope:apply:${tenantId}`),
      ]);
      if (!locked?.locked) return 'busy';
      const state = await this.rules.latest(tx, tenantId);
      if (!state || state.applied) return 'done';
      const total = state.progress.records_total ?? (await this.records.count(tx, tenantId));
      const batch = await this.diffBatch(tx, tenantId, state.rules, state.progress.after ?? null, limit, true);
      const seqs = await this.index.takeSeqs(tx, tenantId, batch.diffs.length);
      const rows: KeyChangeRow[] = [];
      batch.diffs.forEach((diff, i) => {
        for (const change of keyChanges(diff.stored.length > 0 ? diff.stored : null, diff.expected, 'rules')) {
          rows.push({
            domain: diff.domain,
            mobile_id: diff.mobile_id,
            scope_key: change.key,
            change_seq: seqs[i],
            kind: change.kind,
            reason: 'rules_changed',
            store: change.kind === 'remove' ? 'delete' : change.held ? 'keep' : 'insert',
            created_by: diff.created_by,
          });
        }
      });
      // The readers of every key added or removed wake and read the diff (the statement queues the wake-up).
      if (rows.length > 0) {
        await this.index.writeChanges(tx, tenantId, rows, {
          channel: CHANGES_CHANNEL,
          payload: encodeSignal({ tenantId, changeSeq: seqs[seqs.length - 1], keys: rows.map((row) => row.scope_key) }),
        });
      }
      const last = batch.records[batch.records.length - 1];
      const done = batch.records.length < limit;
      await this.rules.saveProgress(
        tx,
        tenantId,
        state.version,
        {
          records_done: Math.min(total, state.progress.records_done + batch.records.length),
          records_total: total,
          after: last ? { domain: last.domain, mobile_id: last.mobile_id } : (state.progress.after ?? null),
        },
        done,
      );
      if (done) this.logger.log(`tenant ${tenantId}: rules version ${state.version} applied`);
      return done ? 'done' : 'more';
    });
  }

  /**
   * Recomputes the keys of every record of a tenant (or of every tenant: `all`) and reports the records whose stored keys
   * differ, with a sample. With `fix`, queues the rules in force for re-application (the background job then logs
   * the corrections as rules_changed); nothing is ever changed silently.
   */
  async check(tenantId: string, options: { fix?: boolean; sample?: number } = {}): Promise<CheckReport[]> {
    const tenants = tenantId === 'all' ? await this.records.tenantsWithRecords(this.db) : [tenantId];
    const reports: CheckReport[] = [];
    for (const id of tenants) {
      const state = await this.rules.latest(this.db, id);
      const rules = state?.rules ?? DEFAULT_RULES;
      const report: CheckReport = {
        tenant_id: id,
        records: 0,
        differing: 0,
        missing_keys: 0,
        extra_keys: 0,
        sample: [],
      };
      let after: { domain: string; mobile_id: string } | null = null;
      for (;;) {
        const batch = await this.diffBatch(this.db, id, rules, after, APPLY_BATCH, false);
        report.records += batch.records.length;
        for (const diff of batch.diffs) {
          report.differing++;
          report.missing_keys += diff.expected.filter((key) => !diff.stored.includes(key)).length;
          report.extra_keys += diff.stored.filter((key) => !diff.expected.includes(key)).length;
          if (report.sample.length < (options.sample ?? 10)) report.sample.push(diff);
        }
        if (batch.records.length < APPLY_BATCH) break;
        const last = batch.records[batch.records.length - 1];
        after = { domain: last.domain, mobile_id: last.mobile_id };
      }
      if (options.fix && report.differing > 0) await this.requeue(id, rules);
      reports.push(report);
    }
    return reports;
  }

  /** Queues the rules in force for a new application over every record (a new version with the same rules). */
  private async requeue(tenantId: string, rules: SyncRules): Promise<void> {
    await this.db.transaction((tx) => this.rules.insertNext(tx, tenantId, rules, 'scope:check'));
  }

  /** One page of records with the keys the rules give them, and those whose stored keys differ. */
  private async diffBatch(
    db: Queryable,
    tenantId: string,
    rules: SyncRules,
    after: { domain: string; mobile_id: string } | null,
    limit: number,
    lock: boolean,
  ): Promise<BatchDiff> {
    let records = await this.records.page(db, tenantId, after, limit);
    if (lock) {
      // Read again under the records' locks: a write between the two reads has committed its keys by then.
      await this.records.lock(
        db,
        tenantId,
        records.map((record) => ({ domain: record.domain, mobileId: record.mobile_id })),
      );
      records = await this.records.page(db, tenantId, after, limit);
    }
    const refs = records.map((r) => ({ domain: r.domain as Domain, mobileId: r.mobile_id }));
    const stored = await this.scopes.storedScopes(db, tenantId, refs);
    const versions = records.map((r) => ({
      domain: r.domain as Domain,
      mobileId: r.mobile_id,
      version: r.version,
      data: r.data,
      deleted: r.deleted,
      userId: r.updated_by_user,
    }));
    const expected = await this.scopes.keysFor(db, tenantId, rules, versions, stored);
    const diffs: RecordDiff[] = [];
    records.forEach((record, i) => {
      const scope = stored.get(refKey(record.domain, record.mobile_id));
      const held = [...(scope?.keys ?? [])].sort();
      const want = [...expected[i]].sort();
      if (held.join('\n') !== want.join('\n')) {
        const createdBy = scope?.createdBy ?? (record.version === 1 ? record.updated_by_user : null);
        diffs.push({ ...refOf(record), stored: held, expected: want, created_by: createdBy });
      }
    });
    return { records, diffs };
  }
}
