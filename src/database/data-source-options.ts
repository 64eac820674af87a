import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { AppConfig } from '../config/app-config';
import { pgDriver } from './pg-driver';
import { PGlitePool } from './pglite-pool';

export function isEmbedded(config: AppConfig): boolean {
  return config.get('DATABASE_URL') === undefined;
}

/** Every entity of the app; the composition root lists them, so this folder never imports a module. */
export type EntityList = NonNullable<DataSourceOptions['entities']>;

/**
 * The URL of a session that must not go through a transaction-mode pooler (PgBouncer): migrations, which hold a
 * session advisory lock, and the LISTEN connection. DATABASE_DIRECT_URL when set, else DATABASE_URL.
 */
export function directDatabaseUrl(config: AppConfig): string | undefined {
  return config.get('DATABASE_DIRECT_URL') ?? config.get('DATABASE_URL');
}

/**
 * The DataSource options shared by the Nest module, the CLI and ormconfig.ts. connection 'direct' bypasses
 * PgBouncer (directDatabaseUrl) with a pool of two: the migration lock's session and the migrations' own.
 */
export function dataSourceOptions(
  config: AppConfig,
  entities: EntityList,
  embeddedDir?: string | null,
  connection: 'pooled' | 'direct' = 'pooled',
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities,
    migrations: MIGRATIONS,
    migrationsRun: false,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: false,
  };
  const url = connection === 'direct' ? directDatabaseUrl(config) : config.get('DATABASE_URL');
  if (url !== undefined) {
    return {
      ...common,
      url,
      poolSize: connection === 'direct' ? 2 : config.get('DB_POOL_SIZE'),
      connectTimeoutMS: 5000,
      applicationName: 'fieldsync',
      extra: { idleTimeoutMillis: 30000 },
      driver: pgDriver,
    };
  }
  // null keeps the embedded database in memory (tests); undefined stores it in DATA_DIR.
  PGlitePool.configure(embeddedDir === null ? undefined : (embeddedDir ?? resolve(config.get('DATA_DIR'))));
  return {
    ...common,
    driver: { Pool: PGlitePool },
    installExtensions: false,
    uuidExtension: 'pgcrypto',
  };
}
