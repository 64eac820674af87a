import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions, directDatabaseUrl, isEmbedded } from './data-source-options';

/** Any 64-bit constant; replicas starting together take turns running migrations. */
const MIGRATION_LOCK_KEY = '7242155310519214607';

/**
 * Applies pending migrations, one replica at a time: a session advisory lock held across them (each migration has
 * its own transaction). db must be a direct connection, not PgBouncer in transaction mode, which would hand the
 * lock's session to another client between statements: see runMigrationsDirect.
 */
export async function runMigrations(db: DataSource, embedded: boolean): Promise<string[]> {
  if (embedded) return (await db.runMigrations({ transaction: 'each' })).map((m) => m.name);
  const lock = db.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await db.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

/**
 * Runs the migrations of the app whose pool is db: on db itself when it is direct (embedded, or no
 * DATABASE_DIRECT_URL), else on a short-lived DataSource of DATABASE_DIRECT_URL.
 */
export async function runMigrationsDirect(db: DataSource, config: AppConfig): Promise<string[]> {
  if (isEmbedded(config) || directDatabaseUrl(config) === config.get('DATABASE_URL')) {
    return runMigrations(db, isEmbedded(config));
  }
  const direct = await new DataSource(dataSourceOptions(config, [], undefined, 'direct')).initialize();
  try {
    return await runMigrations(direct, false);
  } finally {
    await direct.destroy();
  }
}

@Injectable()
export class MigrationsService implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.get('MIGRATIONS_RUN')) return;
    const applied = await runMigrationsDirect(this.db, this.config);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }
}
