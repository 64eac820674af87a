import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions, EntityList } from './data-source-options';
import { MigrationsService } from './migrations.service';

@Module({})
export class DatabaseModule {
  /** embeddedDir: null keeps an embedded database in memory (tests); undefined uses DATA_DIR. */
  static forRoot(entities: EntityList, embeddedDir?: string | null): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config, entities, embeddedDir),
            retryAttempts: 0,
          }),
        }),
      ],
      providers: [MigrationsService],
    };
  }
}
