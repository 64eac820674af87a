import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { directDatabaseUrl } from '../../database/data-source-options';
import { PGlitePool } from '../../database/pglite-pool';
import { ChangeHub } from './change-hub';
import { EmbeddedChangeListener } from './embedded-change-listener';
import { ChangeListener, PgChangeListener } from './pg-change-listener';

/** Starts this replica's one source of change signals: the LISTEN session, or the embedded database's own. */
@Injectable()
export class ChangeListenerService implements OnModuleInit, OnApplicationShutdown {
  private listener: ChangeListener | undefined;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly hub: ChangeHub,
  ) {}

  async onModuleInit(): Promise<void> {
    const pool = (this.db.driver as unknown as { master?: unknown }).master;
    const url = directDatabaseUrl(this.config);
    if (pool instanceof PGlitePool) this.listener = new EmbeddedChangeListener(pool, this.hub);
    else if (url !== undefined) this.listener = new PgChangeListener(url, this.hub);
    await this.listener?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
  }
}
