import { Module } from '@nestjs/common';
import { SyncRecordStoreModule } from '../sync/sync-record-store.module';
import { InvariantSettingRepository } from './invariant-setting.repository';
import { InvariantController } from './invariant.controller';
import { InvariantService } from './invariant.service';
import { ItemShapeService } from './item-shape.service';
import { RecordSchemaVersionRepository } from './record-schema-version.repository';
import { RecordSchemaController } from './record-schema.controller';
import { RecordSchemaService } from './record-schema.service';
import { RecordShapeCatalog } from './record-shape.catalog';
import { RecordShapeService } from './record-shape.service';
import { SchemaValidatorCache } from './schema-validator';

/** Record shapes across app versions (versioned schemas, upcasting) and the domain invariants. */
@Module({
  imports: [SyncRecordStoreModule],
  controllers: [RecordSchemaController, InvariantController],
  providers: [
    RecordSchemaVersionRepository,
    InvariantSettingRepository,
    { provide: SchemaValidatorCache, useFactory: () => new SchemaValidatorCache() },
    RecordShapeCatalog,
    RecordSchemaService,
    InvariantService,
    RecordShapeService,
    ItemShapeService,
  ],
  exports: [RecordShapeService, ItemShapeService, RecordSchemaService, InvariantService],
})
export class RecordShapeModule {}
