import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { DOMAINS, NETWORK_QUALITIES, PRIORITIES } from '../../../common/domain';
import { UUID_PATTERN } from '../../../common/ids';

export interface PushItem {
  client_mutation_id: string;
  domain: string;
  mobile_id: string;
  base_version: number;
  data: Record<string, unknown>;
  client_updated_at?: string | null;
  deleted?: boolean;
  priority?: 'high' | 'medium' | 'low';
}

export interface PushRequest {
  items: PushItem[];
  device_info?: { network_type?: string; app_version?: string; os_version?: string; device_time?: string };
  mode?: 'process' | 'enqueue';
}

/** The compiled schema of a push body (validated by ajv; unknown properties rejected). */
export function pushRequestSchema(maxItems: number): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        maxItems,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['client_mutation_id', 'domain', 'mobile_id', 'base_version', 'data'],
          properties: {
            client_mutation_id: { type: 'string', minLength: 1, maxLength: 128 },
            domain: { type: 'string', enum: [...DOMAINS] },
            mobile_id: { type: 'string', pattern: UUID_PATTERN },
            base_version: { type: 'integer', minimum: 0, maximum: 2147483646 },
            data: { type: 'object' },
            client_updated_at: { type: ['string', 'null'], maxLength: 40 },
            deleted: { type: 'boolean' },
            priority: { type: 'string', enum: [...PRIORITIES] },
          },
        },
      },
      device_info: {
        type: 'object',
        additionalProperties: false,
        properties: {
          network_type: { type: 'string', maxLength: 32 },
          app_version: { type: 'string', maxLength: 64 },
          os_version: { type: 'string', maxLength: 64 },
          device_time: { type: 'string', maxLength: 40 },
        },
      },
      mode: { type: 'string', enum: ['process', 'enqueue'] },
    },
  };
}

export class PushItemDto {
  /** Unique per device; a retry with the same id replays the stored result. */
  @ApiProperty({ example: 'm-1', minLength: 1, maxLength: 128 })
  client_mutation_id!: string;
  @ApiProperty({ enum: DOMAINS, example: 'task' })
  domain!: string;
  @ApiProperty({ format: 'uuid', example: '550e8400-e29b-41d4-a716-446655440000' })
  mobile_id!: string;
  /** The version the edit started from; 0 for a new record. */
  @ApiProperty({ minimum: 0, example: 0 })
  base_version!: number;
  /** The whole record as the device has it (at most RECORD_MAX_BYTES of JSON). */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { jobstatus: 'INPROGRESS' } })
  data!: Record<string, unknown>;
  @ApiPropertyOptional({ format: 'date-time', example: '2025-09-28T09:00:00Z', nullable: true })
  client_updated_at?: string | null;
  @ApiPropertyOptional({ default: false })
  deleted?: boolean;
  @ApiPropertyOptional({ enum: PRIORITIES, default: 'medium' })
  priority?: 'high' | 'medium' | 'low';
}

export class DeviceInfoDto {
  @ApiPropertyOptional({ example: '4g' })
  network_type?: string;
  @ApiPropertyOptional({ example: '5.2.0' })
  app_version?: string;
  @ApiPropertyOptional({ example: 'Android 14' })
  os_version?: string;
  /** The device's clock when it sent the push: its offset corrects client_updated_at. */
  @ApiPropertyOptional({ format: 'date-time', example: '2025-09-28T09:05:00Z' })
  device_time?: string;
}

export class PushRequestDto {
  @ApiProperty({ type: [PushItemDto], minItems: 1, maxItems: 1000 })
  items!: PushItemDto[];
  @ApiPropertyOptional({ type: DeviceInfoDto })
  device_info?: DeviceInfoDto;
  @ApiPropertyOptional({ enum: ['process', 'enqueue'], default: 'process' })
  mode?: 'process' | 'enqueue';
}

export class RecordCopyDto {
  domain!: string;
  mobile_id!: string;
  version!: number;
  deleted!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  data!: Record<string, unknown> | null;
}

export class ItemErrorDto {
  @ApiProperty({ example: 'VERSION_AHEAD' })
  code!: string;
  message!: string;
}

export class PushResultDto {
  client_mutation_id!: string;
  mobile_id!: string;
  domain!: string;
  @ApiProperty({ enum: ['applied', 'resolved', 'manual_required', 'rejected', 'queued'] })
  status!: 'applied' | 'resolved' | 'manual_required' | 'rejected' | 'queued';
  @ApiProperty({ nullable: true, type: 'integer' })
  server_version!: number | null;
  @ApiProperty({ enum: ['client', 'server', 'merged', 'none'], nullable: true })
  winning_version!: 'client' | 'server' | 'merged' | 'none' | null;
  @ApiProperty({ nullable: true, format: 'uuid', type: 'string' })
  conflict_id!: string | null;
  /** The server's current copy when it differs from what the client sent. */
  @ApiProperty({ type: RecordCopyDto, nullable: true })
  record!: RecordCopyDto | null;
  @ApiProperty({ type: ItemErrorDto, nullable: true })
  error!: ItemErrorDto | null;
  /** True when this is the stored result of an earlier identical push. */
  replayed?: boolean;
}

export class PushResponseDto {
  results!: PushResultDto[];
  /** Pending items of this device after the push. */
  remaining!: number;
}

export class PartialSyncDto {
  /** Lowest priority included. */
  @IsOptional()
  @IsIn(PRIORITIES)
  @ApiPropertyOptional({ enum: PRIORITIES, default: 'high' })
  priority?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  max_items?: number = 10;

  @IsOptional()
  @IsIn(NETWORK_QUALITIES)
  @ApiPropertyOptional({ enum: NETWORK_QUALITIES, default: 'good' })
  network_quality?: string;
}

export class SyncedItemDto {
  id!: string;
  client_mutation_id!: string;
  mobile_id!: string;
  domain!: string;
  @ApiProperty({ enum: PRIORITIES })
  priority!: string;
  @ApiProperty({ enum: ['applied', 'resolved', 'manual_required', 'rejected', 'queued'] })
  status!: string;
  @ApiProperty({ nullable: true, type: 'integer' })
  server_version!: number | null;
}

export class PartialSyncResponseDto {
  synced_items!: SyncedItemDto[];
  /** The caller's pending items after, all priorities. */
  remaining!: number;
  batch_size!: number;
}

export class QueueStatusDto {
  pending_items!: number;
  high_priority!: number;
  estimated_sync_time_sec!: number;
  queue_healthy!: boolean;
}

export class OptimalTimeDto {
  @ApiProperty({ enum: ['sync_now', 'sync_in_30min'] })
  recommendation!: 'sync_now' | 'sync_in_30min';
  @ApiProperty({ enum: ['low', 'medium', 'high'] })
  server_load!: 'low' | 'medium' | 'high';
  /** Pending items of the caller's tenant. */
  queue_size!: number;
  is_peak_hour!: boolean;
  next_window_at!: string;
}
