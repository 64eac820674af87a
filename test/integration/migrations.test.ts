import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrations.service';
import { ENTITIES } from '../../src/entities';
import { MIGRATIONS } from '../../migrations';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

describe('migrations', () => {
  let database: TestDatabase;
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('migrations');
    const config = AppConfig.fromEnv({}, { DATABASE_URL: database.directUrl });
    db = await new DataSource(dataSourceOptions(config, ENTITIES, null)).initialize();
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  async function pendingSchemaChanges(): Promise<string[]> {
    const log = await db.driver.createSchemaBuilder().log();
    return log.upQueries.map((query) => query.query);
  }

  it('applies every migration and leaves no drift from the entities', async () => {
    const applied = await runMigrations(db, database.url === undefined);
    expect(applied).toHaveLength(MIGRATIONS.length);
    expect(await pendingSchemaChanges()).toEqual([]);
  });

  it('reverts every migration with down() and applies them again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await db.undoLastMigration({ transaction: 'each' });
    const tables = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(tables).toEqual([]);
    await runMigrations(db, database.url === undefined);
    expect(await pendingSchemaChanges()).toEqual([]);
  });

  it('moves the rows of an unpartitioned sync_event into daily partitions', async () => {
    await db.undoLastMigration({ transaction: 'each' });
    const kind = await db.query(`SELECT relkind FROM pg_class WHERE relname = 'sync_event'`);
    expect(kind).toEqual([{ relkind: 'r' }]);
    const daysAgo = [0, 1, 1, 30, 89, 200];
    for (const ago of daysAgo) {
      await db.query(
        `INSERT INTO sync_event (tenant_id, occurred_at, kind, success, duration_ms)
         VALUES (7, now() - make_interval(days => $1), 'push', true, 1)`,
        [ago],
      );
    }
    const before = await db.query(`SELECT id, occurred_at FROM sync_event ORDER BY id`);
    await runMigrations(db, database.url === undefined);
    expect(await db.query(`SELECT relkind FROM pg_class WHERE relname = 'sync_event'`)).toEqual([{ relkind: 'p' }]);
    expect(await db.query(`SELECT id, occurred_at FROM sync_event ORDER BY id`)).toEqual(before);
    const placed: Array<{ partition: string; n: number }> = await db.query(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM sync_event GROUP BY 1 ORDER BY 1`,
    );
    // the 200-day-old row lies outside the retention: the default partition holds it until retention deletes it
    expect(placed.find((row) => row.partition === 'sync_event_default')?.n).toBe(1);
    expect(
      placed
        .filter((row) => row.partition !== 'sync_event_default')
        .map((row) => row.n)
        .sort(),
    ).toEqual([1, 1, 1, 2]);
    const next = await db.query(
      `INSERT INTO sync_event (tenant_id, kind, success, duration_ms) VALUES (7, 'push', true, 1) RETURNING id`,
    );
    expect(Number(next[0].id)).toBeGreaterThan(Math.max(...before.map((row: { id: string }) => Number(row.id))));
    expect(await pendingSchemaChanges()).toEqual([]);
  });
});
