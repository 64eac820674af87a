import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { isEmbedded } from './data-source-options';

/** Any 64-bit constant; replicas starting together take turns running migrations. */
const MIGRATION_LOCK_KEY = '7242155310519214607';

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

@Injectable()
export class MigrationsService implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.get('MIGRATIONS_RUN')) return;
    const applied = await runMigrations(this.db, isEmbedded(this.config));
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }
}
