import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DOMAINS, NETWORK_QUALITIES } from '../../../common/domain';
import { JsonPatchOperationDto } from '../../../common/http/json-patch.dto';
import type { RecordRow } from '../sync-record.repository';

export const REMOVAL_REASONS = ['reassigned', 'access_revoked', 'rules_changed'] as const;
export type RemovalReason = (typeof REMOVAL_REASONS)[number];

const DOMAIN_NAME = '(journal|attendance|task|ticket|work_order)';
const SCHEMA_VERSIONS = new RegExp(`^([1-9]\\d{0,8}|${DOMAIN_NAME}:[1-9]\\d{0,8}(,${DOMAIN_NAME}:[1-9]\\d{0,8})*)$`);

const DOMAIN_LIST = /^(journal|attendance|task|ticket|work_order)(,(journal|attendance|task|ticket|work_order))*$/;

export class PullQueryDto {
  /** Opaque cursor from the previous page's next_cursor; omit it (or null) to start at the beginning. */
  @ApiPropertyOptional({ type: 'string', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string | null;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number = 100;

  /** Comma-separated domains, e.g. task,ticket. */
  @IsOptional()
  @IsString()
  @Matches(DOMAIN_LIST, {
    message: 'domains must be a comma-separated list of journal, attendance, task, ticket, work_order',
  })
  domains?: string;

  /**
   * The schema version the device reads records in: one for every domain (`3`) or per domain (`task:1,ticket:2`).
   * Records are downcast where the steps allow it; each change then says its `schema_version`.
   */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'number' ? String(value) : value))
  @IsString()
  @Matches(SCHEMA_VERSIONS, {
    message: 'schema_version must be a version (3) or domain:version pairs (task:1,ticket:2)',
  })
  @ApiPropertyOptional({ type: 'string', example: 'task:1,ticket:2' })
  schema_version?: string;

  /** Caps the page at this network quality's batch size (BATCH_SIZES). */
  @IsOptional()
  @IsIn(NETWORK_QUALITIES)
  @ApiPropertyOptional({ enum: NETWORK_QUALITIES })
  network_quality?: string;

  /** Long poll: when the page would be empty, wait up to this many seconds (at most 60) for a change. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @IsInt()
  @Min(0)
  @Max(60)
  wait?: number;
}

/** The stream's query: where to start (Last-Event-ID wins over cursor), page size and domains. */
export class StreamQueryDto extends PickType(PullQueryDto, ['cursor', 'limit', 'domains'] as const) {}

export class PullBodyDto extends PullQueryDto {
  /** The domains to pull: an array (`["task","ticket"]`) or the query's comma-separated form. */
  @ApiPropertyOptional({
    oneOf: [
      { type: 'array', items: { type: 'string', enum: [...DOMAINS] }, minItems: 1 },
      { type: 'string', pattern: DOMAIN_LIST.source },
    ],
  })
  @Transform(({ value }: { value: unknown }) =>
    Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string')
      ? value.join(',')
      : value,
  )
  override domains?: string = undefined;

  /** The query's form, or one version for every domain as a JSON number (`3`). */
  @ApiPropertyOptional({
    oneOf: [
      { type: 'integer', minimum: 1, maximum: 999999999 },
      { type: 'string', pattern: SCHEMA_VERSIONS.source },
    ],
  })
  override schema_version?: string = undefined;

  /** Versions the device already holds, by mobile_id: changes come as RFC 6902 patches from them when smaller. */
  @IsOptional()
  @IsObject()
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { '550e8400-e29b-41d4-a716-446655440000': 3 },
  })
  known_versions?: Record<string, number>;

  @IsOptional()
  @IsBoolean()
  delta?: boolean;
}

export class LossyStepDto {
  /** The version whose step could not be undone. */
  version!: number;
  /** The step's index in that version's upcast list. */
  step!: number;
  op!: string;
  field!: string;
  reason!: string;
}

export class ChangeDto {
  domain!: string;
  mobile_id!: string;
  @ApiProperty({ type: 'integer' })
  version!: number;
  /** True for a tombstone: the record was deleted (data is null). */
  deleted!: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  data?: Record<string, unknown> | null;
  /** With delta pulls: the version the patch applies to. */
  @ApiPropertyOptional({ type: 'integer' })
  base_version?: number;
  /** With delta pulls: RFC 6902 operations turning base_version into this version. */
  @ApiPropertyOptional({ type: [JsonPatchOperationDto] })
  patch?: Array<Record<string, unknown>>;
  updated_at!: string;
  /** With a pull that asked for a schema_version: the version `data` is in (the current one when it lacks that version). */
  @ApiPropertyOptional({ type: 'integer' })
  schema_version?: number;
  /** Downcast steps that could not be undone (a dropped field, a many-to-one map_values): those fields stay as stored. */
  @ApiPropertyOptional({ type: [LossyStepDto] })
  lossy?: LossyStepDto[];

  static from(row: RecordRow): ChangeDto {
    return {
      domain: row.domain,
      mobile_id: row.mobile_id,
      version: row.version,
      deleted: row.deleted,
      data: row.deleted ? null : row.data,
      updated_at: row.updated_at.toISOString(),
    };
  }

  /** The change as a patch from a version the device holds, in place of the full data. */
  static patch(row: RecordRow, baseVersion: number, patch: Array<Record<string, unknown>>): ChangeDto {
    const { data: _full, ...change } = ChangeDto.from(row);
    return { ...change, base_version: baseVersion, patch };
  }
}

/** A record that left the caller's scope: its phone drops it. */
export class RemovalDto {
  domain!: string;
  mobile_id!: string;
  @ApiProperty({ enum: [true] })
  removed!: true;
  @ApiProperty({ enum: REMOVAL_REASONS })
  reason!: RemovalReason;

  static of(record: { domain: string; mobile_id: string }, reason: string): RemovalDto {
    return { domain: record.domain, mobile_id: record.mobile_id, removed: true, reason: reason as RemovalReason };
  }
}

@ApiExtraModels(ChangeDto, RemovalDto)
export class PullResponseDto {
  /** Changes in feed order; for a sync user, a record that left its scope comes once as a removal. */
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(ChangeDto) }, { $ref: getSchemaPath(RemovalDto) }] },
  })
  changes!: Array<ChangeDto | RemovalDto>;
  /** Where the next page starts; present even when the page is empty. */
  next_cursor!: string;
  /** More changes follow: the page was cut at `limit` or at PULL_MAX_BYTES of record JSON (never below one). */
  has_more!: boolean;
}
