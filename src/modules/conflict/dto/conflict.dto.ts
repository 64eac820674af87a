import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { DOMAINS } from '../../../common/domain';
import type { ConflictLogRow } from '../conflict-log.repository';
import type { Entry } from '../conflict.policy';
import { RESOLUTION_POLICIES, type ResolutionPolicy } from '../conflict.policy';
import {
  CONFLICT_RESULTS,
  CONFLICT_SOURCES,
  ConflictResult,
  ConflictSource,
  WINNING_VERSIONS,
  WinningVersion,
} from '../entities/conflict-log.entity';

export type ReviewChoice = Exclude<WinningVersion, 'none'>;
const CHOICES = ['client', 'server', 'merged'] as const satisfies readonly ReviewChoice[];
/** A JSON object of any shape (record data); the swagger plugin cannot infer it from Record<string, unknown>. */
function freeForm(options: { nullable?: boolean; required?: boolean; example?: unknown } = {}): ApiPropertyOptions {
  return { type: 'object', additionalProperties: true, ...options } as ApiPropertyOptions;
}
const TICKET_SERVER = {
  mobile_id: '550e8400-e29b-41d4-a716-446655440000',
  status: 'INPROGRESS',
  comments: 'Plumber on site',
  escalation_level: 1,
  escalated_at: '2025-09-28T11:40:00+05:30',
  escalated_by: 'system',
  updated_at: '2025-09-28T11:40:00+05:30',
};
const TICKET_CLIENT = {
  mobile_id: '550e8400-e29b-41d4-a716-446655440000',
  status: 'RESOLVED',
  comments: 'Valve replaced, leak fixed',
  updated_at: '2025-09-28T12:10:00+05:30',
};

export class ConflictPolicyDto {
  @ApiProperty({ enum: DOMAINS, example: 'ticket' })
  domain!: string;
  @ApiProperty({ enum: RESOLUTION_POLICIES })
  resolution_policy!: ResolutionPolicy;
  /** false: every conflict goes to manual review. */
  auto_resolve!: boolean;
  /** Queue a `conflict` notification (webhook) for every conflict of the domain. */
  notify_on_conflict!: boolean;
  /** Fields always kept from the server where it has them; null: the escalation fields for preserve_escalation. */
  protected_fields!: string[] | null;
  /** default: no tenant override; tenant: set with PUT. */
  @ApiProperty({ enum: ['default', 'tenant'] })
  source!: 'default' | 'tenant';
}

export class PutConflictPolicyDto {
  @ApiProperty({ enum: RESOLUTION_POLICIES, example: 'client_wins' })
  @IsIn(RESOLUTION_POLICIES)
  resolution_policy!: ResolutionPolicy;

  /** Default: true, false for `manual` (which cannot auto-resolve). */
  @IsOptional()
  @IsBoolean()
  auto_resolve?: boolean;

  /** Default: false. */
  @IsOptional()
  @IsBoolean()
  notify_on_conflict?: boolean;

  /** Fields always kept from the server where it has them; omitted or null: the policy's own (escalation fields). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  protected_fields?: string[] | null;
}

export class ResolveConflictDto {
  /** A domain; an unknown one is resolved by the `manual` policy. */
  @IsString()
  @Length(1, 64)
  domain!: string;

  @ApiProperty(freeForm({ example: TICKET_SERVER }))
  @IsObject()
  server_entry!: Entry;

  @ApiProperty(freeForm({ example: TICKET_CLIENT }))
  @IsObject()
  client_entry!: Entry;

  /** The copy both sides started from: enables the three-way, field-level merge. */
  @ApiProperty(freeForm({ required: false, nullable: true }))
  @IsOptional()
  @IsObject()
  base_entry?: Entry | null;
}

export class MergeDetailsDto {
  /** Fields whose value in the result came from the client (and differs from the server's). */
  from_client!: string[];
  /** Fields whose value in the result came from the server (and differs from the client's). */
  from_server!: string[];
  /** Fields the policy had to decide: both sides changed them (three-way) or they differ (two-way). */
  conflicting_fields!: string[];
  /** Protected fields actually taken from the server (policies with protected fields only). */
  protected_fields_kept?: string[];
  three_way!: boolean;
}

export class ConflictResolutionDto {
  @ApiProperty({ enum: ['resolved', 'manual_required'] })
  resolution!: 'resolved' | 'manual_required';
  @ApiProperty(freeForm({ nullable: true }))
  winning_entry!: Entry | null;
  /** The policy applied; `most_recent_wins (client)` or `(server)`; `manual` when a review is needed. */
  strategy_used!: string;
  merge_details!: MergeDetailsDto;
  @ApiProperty({ enum: WINNING_VERSIONS })
  winning_version!: WinningVersion;
  /** The conflict_log row of this resolution. */
  conflict_id!: string;
}

export class ListConflictsQueryDto {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  domain?: string;

  @ApiProperty({ enum: CONFLICT_RESULTS, required: false })
  @IsOptional()
  @IsIn(CONFLICT_RESULTS)
  result?: ConflictResult;

  /** true: only manual_required conflicts nobody has resolved yet (the review queue); false: all the others. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'awaiting_review must be true or false' })
  awaiting_review?: boolean;

  /** Only conflicts logged at or after this instant (ISO 8601 with offset). */
  @ApiPropertyOptional({ format: 'date-time', example: '2025-09-28T00:00:00Z' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  since?: string;

  /** next_cursor of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  /** 1..200, default 50. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class DaysQueryDto {
  /** Window length in days, 1..365 (default 7). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  days?: number;
}

export class ResolveManualDto {
  /** Which copy becomes the record's next version. */
  @ApiProperty({ enum: CHOICES })
  @IsIn(CHOICES)
  choose!: ReviewChoice;

  /** The reviewer's own copy; required with choose=merged, not allowed otherwise. */
  @ApiProperty(freeForm({ required: false }))
  @ValidateIf((dto: ResolveManualDto) => dto.choose === 'merged' || dto.merged_entry !== undefined)
  @IsObject()
  merged_entry?: Entry;
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

export class ConflictLogDto {
  id!: string;
  domain!: string;
  mobile_id!: string | null;
  device_id!: string | null;
  user_id!: string | null;
  server_version!: number | null;
  client_version!: number | null;
  base_version!: number | null;
  /** The policy applied (`most_recent_wins (client)`, `manual`, ...). */
  resolution_strategy!: string;
  /** The engine's outcome; stays `manual_required` after a review (see resolved_at). */
  @ApiProperty({ enum: CONFLICT_RESULTS })
  resolution_result!: ConflictResult;
  @ApiProperty({ enum: WINNING_VERSIONS })
  winning_version!: WinningVersion;
  /** Which fields conflicted and which side each came from; the fields a reviewer decides are conflicting_fields. */
  merge_details!: MergeDetailsDto;
  @ApiProperty(freeForm())
  server_entry!: Entry;
  @ApiProperty(freeForm())
  client_entry!: Entry;
  @ApiProperty(freeForm({ nullable: true }))
  base_entry!: Entry | null;
  /** The copy that won (null while awaiting review). */
  @ApiProperty(freeForm({ nullable: true }))
  result_entry!: Entry | null;
  @ApiProperty({ enum: CONFLICT_SOURCES })
  source!: ConflictSource;
  queue_item_id!: string | null;
  client_mutation_id!: string | null;
  /** `policy` for automatic resolutions, the reviewer's user id (or `admin`) for manual ones. */
  resolved_by!: string | null;
  resolved_at!: string | null;
  restored_by!: string | null;
  restored_at!: string | null;
  created_at!: string;

  static from(row: ConflictLogRow): ConflictLogDto {
    const { created_us: _cursorKey, resolved_at, restored_at, created_at, ...logged } = row;
    return {
      ...logged,
      resolved_at: iso(resolved_at),
      restored_at: iso(restored_at),
      created_at: created_at.toISOString(),
    };
  }
}

export class ConflictPageDto {
  items!: ConflictLogDto[];
  /** Pass as `cursor` for the next page; null on the last page. A page holds at most `limit` entries and LIST_MAX_BYTES of entry JSON (never below one). */
  next_cursor!: string | null;
}

export class ConflictActionResultDto extends ConflictLogDto {
  /** The record version written by this action; null when the conflict changed no record (resolve API). */
  record_version!: number | null;

  static fromAction(row: ConflictLogRow, recordVersion: number | null): ConflictActionResultDto {
    return { ...ConflictLogDto.from(row), record_version: recordVersion };
  }
}

export class HotspotDto {
  domain!: string;
  conflict_count!: number;
}

export class DomainCountDto {
  domain!: string;
  count!: number;
}

export class StrategyCountDto {
  strategy!: string;
  count!: number;
}

export class ResultCountDto {
  @ApiProperty({ enum: CONFLICT_RESULTS })
  result!: string;
  count!: number;
}

export class DeviceCountDto {
  device_id!: string;
  conflict_count!: number;
}

export class ConflictReportDto {
  days!: number;
  /** Window start (exclusive). */
  since!: string;
  /** Window end (inclusive). */
  until!: string;
  total!: number;
  by_domain!: DomainCountDto[];
  by_strategy!: StrategyCountDto[];
  by_result!: ResultCountDto[];
  /** manual_required conflicts nobody has resolved yet, whatever their age. */
  pending_reviews!: number;
  /** The five devices with the most conflicts in the window. */
  top_devices!: DeviceCountDto[];
}
