import type { Domain } from '../../src/common/domain';
import { ScopeIndexService } from '../../src/modules/scope/scope-index.service';
import { SyncRulesService } from '../../src/modules/scope/sync-rules.service';
import { SyncRecordRepository } from '../../src/modules/sync/sync-record.repository';
import type { TestApp } from './test-app';

export interface ScopedWrite {
  domain: Domain;
  mobileId: string;
  version: number;
  data: Record<string, unknown>;
  deleted?: boolean;
  userId: string;
}

/**
 * Writes record versions with their scope keys in one transaction, as push, resolve and restore do (until every
 * write path writes keys itself, tests seed scoped records through here).
 */
export async function writeScoped(t: TestApp, tenantId: string, writes: ScopedWrite[]): Promise<void> {
  const records = t.app.get(SyncRecordRepository);
  const scopes = t.app.get(ScopeIndexService);
  const rules = t.app.get(SyncRulesService);
  await t.db.transaction(async (tx) => {
    const versions = writes.map((w) => ({ ...w, deleted: w.deleted ?? false }));
    const written = await records.write(
      tx,
      tenantId,
      versions.map((w) => ({ ...w, clientUpdatedAt: null, deviceId: null, clientMutationId: null, origin: 'manual' })),
    );
    const seqs = new Map(written.map((row) => [`${row.domain}:${row.mobile_id}`, row.change_seq]));
    await scopes.writeRecordKeys(
      tx,
      tenantId,
      await rules.rulesFor(tx, tenantId),
      versions.map((w) => ({ ...w, changeSeq: seqs.get(`${w.domain}:${w.mobileId}`)! })),
    );
  });
}
