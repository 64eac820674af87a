import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ENTITIES } from './entities';
import { ConflictModule } from './modules/conflict/conflict.module';
import { AnalyticsModule } from './modules/analytics/analytics.module';
import { AuthModule } from './modules/auth/auth.module';
import { BandwidthModule } from './modules/bandwidth/bandwidth.module';
import { DashboardModule } from './modules/dashboard/dashboard.module';
import { HealthModule } from './modules/health/health.module';
import { NotificationModule } from './modules/notification/notification.module';
import { ScopeModule } from './modules/scope/scope.module';
import { SyncModule } from './modules/sync/sync.module';
import { QueueModule } from './modules/queue/queue.module';
import { RecordShapeModule } from './modules/record-shape/record-shape.module';
import { TenantModule } from './modules/tenant/tenant.module';

export interface AppModuleOptions {
  /** null: embedded database in memory (tests); undefined: DATA_DIR. Ignored with DATABASE_URL. */
  embeddedDir?: string | null;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(ENTITIES, options.embeddedDir),
        TenantModule,
        AuthModule,
        HealthModule,
        NotificationModule,
        BandwidthModule,
        SyncModule,
        ConflictModule,
        QueueModule,
        AnalyticsModule,
        DashboardModule,
        ScopeModule,
        RecordShapeModule,
        ...(config.get('SCHEDULER_ENABLED') ? [ScheduleModule.forRoot()] : []),
      ],
    };
  }
}
