import { SyncPurgeService } from '../../src/modules/sync/sync-purge.service';
import { pushItem, taskData } from '../factories/records';
import { Phone } from '../helpers/phone';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { describeWithPostgres } from '../helpers/test-database';

describeWithPostgres('replacement sync while others write (PostgreSQL)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('snapshot_handoff');
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  const serverRecords = async (): Promise<Map<string, number>> => {
    const rows: Array<{ id: string; version: number }> = await t.db.query(
      `SELECT domain || ':' || mobile_id AS id, version FROM sync_record WHERE tenant_id = $1 AND NOT deleted`,
      [tenant.id],
    );
    return new Map(rows.map((row) => [row.id, row.version]));
  };

  it('loses and repeats nothing: snapshot pages, then the feed from snapshot_seq, during concurrent creates, edits and deletes', async () => {
    const seed = [...Array(300)].map((_, i) =>
      pushItem({ data: taskData({ jobstatus: i % 3 === 0 ? 'PARTIALLYCOMPLETED' : 'ASSIGNED', n: i }) }),
    );
    for (let i = 0; i < seed.length; i += 100) {
      const r = await call(t, 'POST', '/api/v1/sync/push', {
        key: tenant.syncKey,
        device: 'seed',
        body: { items: seed.slice(i, i + 100) },
      });
      expect(r.status).toBe(200);
    }
    const versions = new Map(seed.map((item) => [item.mobile_id, 1]));
    const deleted = new Set<string>();
    let writing = true;
    let writes = 0;

    // Four writers on their own ids (no conflicts between them): each round creates, edits and deletes.
    const writer = async (w: number): Promise<void> => {
      const mine = seed.filter((_, i) => i % 4 === w).map((item) => item.mobile_id);
      let round = 0;
      while (writing && round < 40) {
        round += 1;
        const edit = mine[(round * 3) % mine.length];
        const drop = mine[(round * 7 + 1) % mine.length];
        const items = [pushItem({ data: taskData({ writer: w, round }) })];
        if (!deleted.has(edit) && edit !== drop) {
          items.push(
            pushItem({
              mobile_id: edit,
              base_version: versions.get(edit)!,
              data: taskData({ jobstatus: 'INPROGRESS', writer: w, round }),
              client_updated_at: new Date().toISOString(),
            }),
          );
        }
        if (!deleted.has(drop)) {
          items.push(pushItem({ mobile_id: drop, base_version: versions.get(drop)!, deleted: true }));
        }
        const result = await call(t, 'POST', '/api/v1/sync/push', {
          key: tenant.syncKey,
          device: `w${w}`,
          body: { items },
        });
        expect(result.status).toBe(200);
        for (const r of result.body.results) {
          expect(['applied', 'resolved']).toContain(r.status);
          versions.set(r.mobile_id, r.server_version);
        }
        if (items.length === 3 || items[items.length - 1].deleted) deleted.add(drop);
        mine.push(items[0].mobile_id);
        writes += items.length;
      }
    };

    const phone = new Phone(t, tenant.syncKey, 'phone');
    const writers = Promise.all([0, 1, 2, 3].map(writer));
    const pages = await phone.replace(7, () => new Promise((resolve) => setTimeout(resolve, 2)));
    const snapshotDone = writes;
    await writers;
    writing = false;
    expect(await phone.pullAll(50)).toBe(200);

    process.stdout.write(
      `handoff: ${pages} snapshot pages of 7, ${snapshotDone} writes during the snapshot, ${writes} in all\n`,
    );
    expect(snapshotDone).toBeGreaterThan(0);
    const repeated = phone.received.filter((entry, i) => phone.received.indexOf(entry) !== i);
    expect(repeated).toEqual([]);
    expect(new Map([...phone.records].map(([id, r]) => [id, r.version]))).toEqual(await serverRecords());
  });

  it('lets pushes go on while a purge deletes tombstones in batches', async () => {
    const other = await t.createTenant();
    const items = [...Array(400)].map(() => pushItem());
    const push = (body: unknown) => call(t, 'POST', '/api/v1/sync/push', { key: other.syncKey, device: 'p', body });
    expect((await push({ items })).status).toBe(200);
    expect(
      (
        await push({
          items: items.map((item) => ({ ...pushItem({ mobile_id: item.mobile_id, base_version: 1, deleted: true }) })),
        })
      ).status,
    ).toBe(200);
    await t.db.query(`UPDATE sync_record SET updated_at = now() - interval '10 days' WHERE tenant_id = $1`, [other.id]);
    // Resurrect some tombstones while the purge runs: they must survive as live records.
    const revive = items.slice(0, 50).map((item) => pushItem({ mobile_id: item.mobile_id, base_version: 2 }));
    const purge = t.app.get(SyncPurgeService);
    const [outcome, revived] = await Promise.all([purge.runPurge(), push({ items: revive })]);
    expect(revived.status).toBe(200);
    const rows: Array<{ deleted: boolean; n: number }> = await t.db.query(
      `SELECT deleted, count(*)::int AS n FROM sync_record WHERE tenant_id = $1 GROUP BY deleted`,
      [other.id],
    );
    const live = rows.find((row) => !row.deleted)?.n ?? 0;
    expect(live).toBe(revived.body.results.filter((r: { status: string }) => r.status === 'applied').length);
    expect(outcome).toBeDefined();
  });
});
