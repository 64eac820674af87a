import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Domain } from '../../src/common/domain';
import { DirectoryService } from '../../src/modules/scope/directory.service';
import { BatchVersion, ScopeIndexService, WrittenVersion } from '../../src/modules/scope/scope-index.service';
import { DEFAULT_RULES } from '../../src/modules/scope/sync-rules.policy';
import { countStatements } from '../helpers/statement-counter';
import { startTestApp, TestApp } from '../helpers/test-app';

interface LogRow {
  scope_key: string;
  change_seq: string;
  kind: string;
  reason: string;
}

describe('scope index (record_scope and scope_change)', () => {
  let t: TestApp;
  let tenantId: string;
  let scopes: ScopeIndexService;
  let directory: DirectoryService;

  beforeAll(async () => {
    t = await startTestApp('scope_index');
    tenantId = (await t.createTenant()).id;
    scopes = t.app.get(ScopeIndexService);
    directory = t.app.get(DirectoryService);
  });
  afterAll(() => t.close());

  /** Writes a record version straight into sync_record, as the push path does, and returns it with its change_seq. */
  async function writeRecord(
    tx: EntityManager,
    domain: Domain,
    mobileId: string,
    version: number,
    data: Record<string, unknown>,
    userId: string | null,
    deleted = false,
  ): Promise<WrittenVersion> {
    const [row] = await tx.query(
      `INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, deleted, change_seq, updated_by_user)
       VALUES ($1, $2, $3, $4, $5, $6, nextval('sync_change_seq'), $7)
       ON CONFLICT ON CONSTRAINT pk_sync_record DO UPDATE SET version = EXCLUDED.version, data = EXCLUDED.data,
         deleted = EXCLUDED.deleted, change_seq = EXCLUDED.change_seq
       RETURNING change_seq::text`,
      [tenantId, domain, mobileId, version, JSON.stringify(data), deleted, userId],
    );
    return { domain, mobileId, version, data, deleted, userId, changeSeq: row.change_seq };
  }

  async function storedKeys(domain: string, mobileId: string): Promise<string[]> {
    const rows = await t.db.query(
      `SELECT scope_key FROM record_scope WHERE tenant_id = $1 AND domain = $2 AND mobile_id = $3 ORDER BY scope_key`,
      [tenantId, domain, mobileId],
    );
    return rows.map((row: { scope_key: string }) => row.scope_key);
  }

  async function log(mobileId: string): Promise<LogRow[]> {
    return t.db.query(
      `SELECT scope_key, change_seq::text, kind, reason FROM scope_change
       WHERE tenant_id = $1 AND mobile_id = $2 ORDER BY change_seq, scope_key`,
      [tenantId, mobileId],
    );
  }

  it('writes the keys of a new work order and logs them at its change_seq', async () => {
    const id = randomUUID();
    const written = await t.db.transaction(async (tx) => {
      const version = await writeRecord(
        tx,
        'work_order',
        id,
        1,
        { people: 4127, bu: 58, approvers: ['3301'] },
        'disp-1',
      );
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, [version]);
      return version;
    });
    expect(await storedKeys('work_order', id)).toEqual(['g:site:58:supervisor', 'u:3301', 'u:4127', 'u:disp-1']);
    expect(await log(id)).toEqual(
      ['g:site:58:supervisor', 'u:3301', 'u:4127', 'u:disp-1'].map((key) => ({
        scope_key: key,
        change_seq: written.changeSeq,
        kind: 'add',
        reason: 'changed',
      })),
    );
  });

  it('moves a reassigned work order from the old assignee to the new one, keeping its creator', async () => {
    const id = randomUUID();
    await t.db.transaction(async (tx) => {
      const created = await writeRecord(tx, 'work_order', id, 1, { people: 4127, bu: 58 }, 'disp-1');
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, [created]);
    });
    const reassigned = await t.db.transaction(async (tx) => {
      const version = await writeRecord(tx, 'work_order', id, 2, { people: 4128, bu: 58 }, '9001');
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, [version]);
      return version;
    });
    expect(await storedKeys('work_order', id)).toEqual(['g:site:58:supervisor', 'u:4128', 'u:disp-1']);
    const latest = (await log(id)).filter((row) => row.change_seq === reassigned.changeSeq);
    expect(latest).toEqual([
      { scope_key: 'g:site:58:supervisor', change_seq: reassigned.changeSeq, kind: 'add', reason: 'changed' },
      { scope_key: 'u:4127', change_seq: reassigned.changeSeq, kind: 'remove', reason: 'reassigned' },
      { scope_key: 'u:4128', change_seq: reassigned.changeSeq, kind: 'add', reason: 'reassigned' },
      { scope_key: 'u:disp-1', change_seq: reassigned.changeSeq, kind: 'add', reason: 'changed' },
    ]);
  });

  it('keeps the keys of a deleted record, so its readers receive the tombstone', async () => {
    const id = randomUUID();
    await t.db.transaction(async (tx) => {
      const created = await writeRecord(tx, 'task', id, 1, { people: 4127, pgroup: 7, bu: 58 }, '4127');
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, [created]);
    });
    await t.db.transaction(async (tx) => {
      const tombstone = await writeRecord(tx, 'task', id, 2, {}, '4127', true);
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, [tombstone]);
    });
    expect(await storedKeys('task', id)).toEqual(['g:group:7:member', 'g:site:58:supervisor', 'u:4127']);
    expect((await log(id)).filter((row) => row.kind === 'remove')).toEqual([]);
  });

  it('announces a commit touching more keys than a NOTIFY payload holds tenant-wide instead of failing', async () => {
    const versions: WrittenVersion[] = [];
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < 300; i++) {
        const user = `technician-with-a-rather-long-directory-name-${i}`;
        versions.push(await writeRecord(tx, 'task', randomUUID(), 1, { people: user, bu: 58 }, user));
      }
      // 300 distinct user keys are about 15 KB of payload: past PostgreSQL's 8000 bytes.
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, versions);
    });
    expect(await storedKeys('task', versions[299].mobileId)).toContain(
      'u:technician-with-a-rather-long-directory-name-299',
    );
  });

  it('writes a batch of 500 records and queues the announcement in one statement when the caller passes the stored keys', async () => {
    const ids = [...Array(500)].map(() => randomUUID());
    await t.db.transaction(async (tx) => {
      const versions: WrittenVersion[] = [];
      for (const [i, id] of ids.entries()) {
        versions.push(await writeRecord(tx, 'task', id, 1, { people: 4000 + (i % 20), bu: 58 }, 'tech-1'));
      }
      const stored = await scopes.storedScopes(tx, tenantId, versions);
      expect(stored.size).toBe(0);
      const counter = countStatements(t.db);
      try {
        const summary = await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, versions, stored);
        expect(summary).toEqual({ records: 500, inserted: 1500, deleted: 0, logged: 1500 });
        // The key write, which also queues the wake-up for live readers (pg_notify, delivered at commit).
        expect(counter.count()).toBe(1);
      } finally {
        counter.stop();
      }
    });
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM record_scope WHERE tenant_id = $1 AND mobile_id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    expect(n).toBe(1500);
  });

  it('keeps only the latest of several versions of one record in a batch', async () => {
    const id = randomUUID();
    await t.db.transaction(async (tx) => {
      const first = await writeRecord(tx, 'task', id, 1, { people: 4127 }, '4127');
      const second = await writeRecord(tx, 'task', id, 2, { people: 4128 }, '4127');
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, [second, first]);
    });
    expect(await storedKeys('task', id)).toEqual(['u:4127', 'u:4128']);
  });

  it('shares a manager journal with the supervisors of the author and revokes it when the supervisor leaves', async () => {
    await directory.putUser(tenantId, 'author-1', { memberships: [{ group: 'team:north', role: 'member' }] });
    await directory.putUser(tenantId, 'lead-1', {
      memberships: [
        { group: 'team:north', role: 'supervisor' },
        { group: 'site:58', role: 'supervisor' },
      ],
    });
    const journal = randomUUID();
    const site = randomUUID();
    await t.db.transaction(async (tx) => {
      const versions = [
        await writeRecord(tx, 'journal', journal, 1, { title: 'Stress log', privacy_scope: 'manager' }, 'author-1'),
        await writeRecord(tx, 'attendance', site, 1, { people: 'author-1', bu: 58 }, 'author-1'),
      ];
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, versions);
    });
    expect(await storedKeys('journal', journal)).toEqual(['g:team:north:supervisor', 'u:author-1']);

    await directory.putUser(tenantId, 'lead-1', { memberships: [{ group: 'site:58', role: 'supervisor' }] });
    const revoked = await t.db.query(
      `SELECT domain, mobile_id, kind, reason FROM scope_change WHERE tenant_id = $1 AND scope_key = 'u:lead-1'`,
      [tenantId],
    );
    expect(revoked).toEqual([{ domain: 'journal', mobile_id: journal, kind: 'remove', reason: 'access_revoked' }]);
  });

  it('removes everything a deactivated user read, and nothing it still reads through another key', async () => {
    await directory.putUser(tenantId, 'tech-9', {
      memberships: [
        { group: 'site:77', role: 'supervisor' },
        { group: 'team:east', role: 'member' },
      ],
    });
    const own = randomUUID();
    const sites = [randomUUID(), randomUUID()];
    await t.db.transaction(async (tx) => {
      const versions = [await writeRecord(tx, 'task', own, 1, { people: 'tech-9', bu: 77 }, 'tech-9')];
      for (const id of sites) versions.push(await writeRecord(tx, 'task', id, 1, { people: 'other', bu: 77 }, 'other'));
      await scopes.writeRecordKeys(tx, tenantId, DEFAULT_RULES, versions);
    });

    await directory.putUser(tenantId, 'tech-9', { memberships: [{ group: 'team:east', role: 'member' }] });
    const afterLeaving = await t.db.query(
      `SELECT mobile_id FROM scope_change WHERE tenant_id = $1 AND scope_key = 'u:tech-9' AND kind = 'remove'
       ORDER BY mobile_id`,
      [tenantId],
    );
    expect(afterLeaving.map((row: { mobile_id: string }) => row.mobile_id)).toEqual([...sites].sort());

    await directory.putUser(tenantId, 'tech-9', { memberships: [], active: false });
    const afterDeactivation = await t.db.query(
      `SELECT mobile_id, reason FROM scope_change
       WHERE tenant_id = $1 AND scope_key = 'u:tech-9' AND kind = 'remove' AND mobile_id = $2`,
      [tenantId, own],
    );
    expect(afterDeactivation).toEqual([{ mobile_id: own, reason: 'access_revoked' }]);
  });

  it('logs removals after every change already in the feed', async () => {
    const [{ seq }] = await t.db.query(`SELECT last_value::text AS seq FROM sync_change_seq`);
    await directory.putUser(tenantId, 'tech-10', { memberships: [{ group: 'site:58', role: 'supervisor' }] });
    await directory.putUser(tenantId, 'tech-10', { memberships: [] });
    const rows = await t.db.query(
      `SELECT change_seq::text FROM scope_change WHERE tenant_id = $1 AND scope_key = 'u:tech-10'`,
      [tenantId],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(BigInt(row.change_seq)).toBeGreaterThan(BigInt(seq));
  });
  it("reads a batch's stored keys with one index probe per record, not a scan of the tenant's keys", async () => {
    // A young tenant: the statistics were taken before it had any key, then it got 3,000.
    const young = (await t.createTenant()).id;
    await t.db.query('ANALYZE record_scope');
    const rows: Array<{ mobile_id: string }> = await t.db.query(
      `INSERT INTO record_scope (tenant_id, domain, mobile_id, scope_key, created_by)
       SELECT $1, 'task', gen_random_uuid(), 'g:site:58:supervisor', 'tech-1' FROM generate_series(1, 3000)
       RETURNING mobile_id`,
      [young],
    );
    const batch = rows.slice(0, 100).map((row): BatchVersion => ({
      domain: 'task',
      mobileId: row.mobile_id,
      data: { bu: 58 },
      author: null,
    }));
    const captured: Array<{ query: string; parameters?: unknown[] }> = [];
    const original = t.db.logger;
    Object.assign(t.db, {
      logger: {
        ...original,
        logQuery: (query: string, parameters?: unknown[]) => captured.push({ query, parameters }),
      },
    });
    let read;
    try {
      read = await t.db.transaction((tx) => scopes.readBatch(tx, young, batch, ['tech-1']));
    } finally {
      Object.assign(t.db, { logger: original });
    }
    expect(read.stored.size).toBe(100);
    const statement = captured.find((entry) => entry.query.includes('FROM record_scope x'))!;
    const [{ 'QUERY PLAN': plan }] = await t.db.query(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.query}`,
      statement.parameters,
    );
    interface PlanNode {
      'Node Type': string;
      'Relation Name'?: string;
      'Actual Rows': number;
      'Actual Loops': number;
      Plans?: PlanNode[];
    }
    const scans: PlanNode[] = [];
    const walk = (node: PlanNode): void => {
      if (node['Relation Name'] === 'record_scope') scans.push(node);
      node.Plans?.forEach(walk);
    };
    walk((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
    expect(scans.map((node) => node['Node Type'])).toEqual(['Index Scan']);
    // Only the batch's rows were read: one probe per record.
    expect(scans[0]['Actual Loops']).toBe(100);
    expect(scans[0]['Actual Rows'] * scans[0]['Actual Loops']).toBe(100);
  });
});
