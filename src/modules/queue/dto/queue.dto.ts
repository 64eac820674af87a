import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { DOMAINS, NETWORK_QUALITIES, PRIORITIES, priorityFromRank } from '../../../common/domain';
import { UUID_PATTERN } from '../../../common/ids';
import { AppConfig } from '../../../config/app-config';
import { ITEM_STATUSES, ItemResult, ItemStatus, PlannedItem } from '../queue.policy';
import { FromSchema, JsonSchema, toOpenApiSchema } from '../../../common/json-schema';

/** The push body, validated by ajv (unknown properties rejected) and documented in OpenAPI from this one object. */
export function pushRequestSchema(maxItems: number) {
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
            client_mutation_id: {
              type: 'string',
              minLength: 1,
              maxLength: 128,
              description: 'Unique per device; a retry with the same id replays the stored result.',
            },
            domain: { type: 'string', enum: DOMAINS },
            mobile_id: { type: 'string', pattern: UUID_PATTERN },
            base_version: {
              type: 'integer',
              minimum: 0,
              maximum: 2147483646,
              description: 'The version the edit started from; 0 for a new record.',
            },
            data: {
              type: 'object',
              additionalProperties: true,
              description: 'The whole record as the device has it (at most RECORD_MAX_BYTES of JSON).',
            },
            client_updated_at: {
              type: ['string', 'null'],
              maxLength: 40,
              description: 'When the device made the edit: ISO 8601 with an offset.',
            },
            deleted: { type: 'boolean', default: false },
            priority: { type: 'string', enum: PRIORITIES, default: 'medium' },
            schema_version: {
              type: 'integer',
              minimum: 1,
              maximum: 2147483646,
              description:
                "The tenant's schema version of the domain the device wrote `data` in; older versions are upcast to the " +
                'current one before the conflict engine sees them. Missing: the current version.',
            },
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
          device_time: {
            type: 'string',
            maxLength: 40,
            description: "The device's clock when it sent the push: its offset corrects client_updated_at.",
          },
        },
      },
      mode: { type: 'string', enum: ['process', 'enqueue'], default: 'process' },
    },
  } as const satisfies JsonSchema;
}

export type PushRequest = FromSchema<ReturnType<typeof pushRequestSchema>>;

/** The documented push body: ajv's schema with PUSH_MAX_ITEMS at its default. */
export const PUSH_REQUEST_OPENAPI_SCHEMA = toOpenApiSchema(
  pushRequestSchema(AppConfig.fromEnv({}).get('PUSH_MAX_ITEMS')),
);

export const PUSH_REQUEST_EXAMPLE: PushRequest = {
  items: [
    {
      client_mutation_id: 'm-1',
      domain: 'task',
      mobile_id: '550e8400-e29b-41d4-a716-446655440000',
      base_version: 0,
      data: { jobstatus: 'INPROGRESS' },
      client_updated_at: '2025-09-28T09:00:00Z',
    },
  ],
  device_info: {
    network_type: '4g',
    app_version: '5.2.0',
    os_version: 'Android 14',
    device_time: '2025-09-28T09:05:00Z',
  },
};

export class RecordCopyDto {
  domain!: string;
  mobile_id!: string;
  @ApiProperty({ type: 'integer' })
  version!: number;
  deleted!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  data!: Record<string, unknown> | null;
}

/** One place an item went wrong: a JSON pointer into the push item, what is wrong there, the record field if any. */
export class ItemErrorDetailDto {
  @ApiProperty({ example: '/data/jobstatus' })
  pointer!: string;
  message!: string;
  /** FIELD_FORBIDDEN and SCHEMA_INVALID at a top-level field: the record field's name. */
  field?: string;
}

export class ItemErrorDto {
  @ApiProperty({ example: 'VERSION_AHEAD' })
  code!: string;
  message!: string;
  /** FIELD_FORBIDDEN, SCHEMA_INVALID, SCHEMA_VERSION_UNKNOWN: where, one entry per place. */
  @ApiPropertyOptional({ type: [ItemErrorDetailDto] })
  details?: ItemErrorDetailDto[];
}

export class PushResultDto {
  client_mutation_id!: string;
  mobile_id!: string;
  domain!: string;
  @ApiProperty({ enum: ITEM_STATUSES })
  status!: ItemStatus;
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

  static from(result: ItemResult, replayed = false): PushResultDto {
    return replayed ? { ...result, replayed } : result;
  }
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
  @ApiProperty({ enum: ITEM_STATUSES })
  status!: ItemStatus;
  @ApiProperty({ nullable: true, type: 'integer' })
  server_version!: number | null;

  static from(item: PlannedItem, result: ItemResult | undefined): SyncedItemDto {
    return {
      id: item.id,
      client_mutation_id: item.client_mutation_id,
      mobile_id: item.mobile_id,
      domain: item.domain,
      priority: priorityFromRank(item.priority),
      status: result?.status ?? 'queued',
      server_version: result?.server_version ?? null,
    };
  }
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
