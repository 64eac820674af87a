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
});
