import { Foundation1795608648009 } from './1795608648009-Foundation';
import { SyncRecordsQueue1795609471650 } from './1795609471650-SyncRecordsQueue';
import { Conflict1795609762460 } from './1795609762460-Conflict';
import { Analytics1795609656390 } from './1795609656390-Analytics';
import { ClockOffsetBigint1795612674381 } from './1795612674381-ClockOffsetBigint';
import { SyncScopes1796117121459 } from './1796117121459-SyncScopes';
import { RecordShapes1796117363825 } from './1796117363825-RecordShapes';
import { DeviceCursorsPurge1796121203035 } from './1796121203035-DeviceCursorsPurge';
import { DevicesPerUser1796121516373 } from './1796121516373-DevicesPerUser';
import { DirectoryGrants1796121281472 } from './1796121281472-DirectoryGrants';
import { ScopeBackfill1796121900000 } from './1796121900000-ScopeBackfill';
import { SchemaVersionUpcasts1796128981998 } from './1796128981998-SchemaVersionUpcasts';
import { PartitionSyncEvent1796130000000 } from './1796130000000-PartitionSyncEvent';
import { PartitionScopeChange1796140000000 } from './1796140000000-PartitionScopeChange';

/** Every migration in order; the Nest module, the CLI and ormconfig.ts load this list. */
export const MIGRATIONS: Array<new () => object> = [
  Foundation1795608648009,
  SyncRecordsQueue1795609471650,
  Analytics1795609656390,
  Conflict1795609762460,
  ClockOffsetBigint1795612674381,
  SyncScopes1796117121459,
  RecordShapes1796117363825,
  DeviceCursorsPurge1796121203035,
  DevicesPerUser1796121516373,
  DirectoryGrants1796121281472,
  ScopeBackfill1796121900000,
  SchemaVersionUpcasts1796128981998,
  PartitionSyncEvent1796130000000,
  PartitionScopeChange1796140000000,
];
