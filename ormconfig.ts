import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';
import { ENTITIES } from './src/entities';

/** The DataSource of the TypeORM migration CLI; same options as the running service, on the direct URL. */
export default new DataSource(dataSourceOptions(AppConfig.fromEnv(), ENTITIES, undefined, 'direct'));
