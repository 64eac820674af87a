import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { AppConfig } from '../config/app-config';
import { PGlitePool } from './pglite-pool';

export function isEmbedded(config: AppConfig): boolean {
  return config.get('DATABASE_URL') === undefined;
}

/** Every entity of the app; the composition root lists them, so this folder never imports a module. */
export type EntityList = NonNullable<DataSourceOptions['entities']>;

/** The DataSource options shared by the Nest module, the CLI and ormconfig.ts. */
export function dataSourceOptions(
  config: AppConfig,
  entities: EntityList,
  embeddedDir?: string | null,
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
  const url = config.get('DATABASE_URL');
  if (url !== undefined) {
    return {
      ...common,
      url,
      poolSize: config.get('DB_POOL_SIZE'),
      connectTimeoutMS: 5000,
      applicationName: 'fieldsync',
      extra: { idleTimeoutMillis: 30000 },
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
