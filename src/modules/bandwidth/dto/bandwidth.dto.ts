import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JsonPatchOperationDto } from '../../../common/http/json-patch.dto';
import { JSON_VALUE } from '../../../common/http/openapi-document';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  Max,
} from 'class-validator';
import { NETWORK_QUALITIES } from '../../../common/domain';
import { COMPRESSION_LEVELS, type CompressionLevel } from '../bandwidth.policy';

/** Most items one batches/prioritize call takes. */
const MAX_TOOL_ITEMS = 10000;

export class CompressRequestDto {
  @ApiProperty({
    description: 'Any JSON value; its size is measured on compact JSON, UTF-8',
    example: { items: [{ id: 1, status: 'OPEN' }] },
    oneOf: [
      { type: 'object' },
      { type: 'array', items: {} },
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
    ],
  })
  @IsDefined()
  data!: unknown;

  /** adaptive: only when at least COMPRESSION_THRESHOLD_BYTES; always: whenever the ratio is good enough. */
  @ApiPropertyOptional({ enum: COMPRESSION_LEVELS, default: 'adaptive' })
  @IsOptional()
  @IsIn(COMPRESSION_LEVELS)
  compression_level?: CompressionLevel;
}

export class CompressResponseDto {
  compressed!: boolean;
  @ApiProperty({ enum: ['gzip'], nullable: true, type: String })
  algorithm!: 'gzip' | null;
  /** Compact JSON bytes of the data. */
  original_size!: number;
  compressed_size!: number;
  /** compressed_size / original_size (1 when not compressed and not tried). */
  compression_ratio!: number;
  @ApiProperty({ ...JSON_VALUE, description: 'Base64 of the gzip stream when compressed, else the data as sent' })
  data!: unknown;
}

export class DeltaRequestDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { mobile_id: '550e8400-e29b-41d4-a716-446655440000', version: 4, status: 'OPEN', comments: '' },
  })
  @IsObject()
  server_version!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { mobile_id: '550e8400-e29b-41d4-a716-446655440000', version: 4, status: 'INPROGRESS', comments: '' },
  })
  @IsObject()
  client_version!: Record<string, unknown>;
}

export { JsonPatchOperationDto };

export class DeltaResponseDto {
  @ApiProperty({ type: String, description: "The client's mobile_id (else the server's)", nullable: true })
  mobile_id!: unknown;
  @ApiProperty({ type: Number, description: "The client's version (else the server's)", nullable: true })
  version!: unknown;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Top-level fields whose client value differs from the server (mobile_id and version excluded)',
  })
  delta!: Record<string, unknown>;
  /** Number of changed plus removed top-level fields. */
  fields_changed!: number;
  /** Top-level fields the server has and the client dropped. */
  removed_fields!: string[];
  /** RFC 6902 operations that turn the server copy into the client copy. */
  patch!: JsonPatchOperationDto[];
}

export class BatchesRequestDto {
  @ApiProperty({ type: 'array', items: {}, maxItems: MAX_TOOL_ITEMS, example: [{ id: 1 }, { id: 2 }] })
  @IsArray()
  @ArrayMaxSize(MAX_TOOL_ITEMS)
  items!: unknown[];

  /** excellent, good, fair or poor; anything else gets the fair size. */
  @ApiProperty({ example: 'good', description: `One of ${NETWORK_QUALITIES.join(', ')}; unknown values get 25` })
  @IsString()
  @Length(1, 32)
  network_quality!: string;

  /** Round-trip time the client measured, in milliseconds. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(600000)
  rtt_ms?: number;

  /** Throughput the client measured, in kilobits per second. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(100000000)
  throughput_kbps?: number;
}

export class BatchesResponseDto {
  batch_size!: number;
  @ApiProperty({ type: 'array', items: { type: 'array', items: {} } })
  batches!: unknown[][];
}

export class PrioritizeRequestDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    maxItems: MAX_TOOL_ITEMS,
    example: [
      { id: 1, priority: 'low' },
      { id: 2, priority: 'high' },
    ],
  })
  @IsArray()
  @ArrayMaxSize(MAX_TOOL_ITEMS)
  @IsObject({ each: true })
  items!: Array<Record<string, unknown>>;

  /** The field holding high, medium or low (case-insensitive; missing or unknown counts as medium). */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  priority_field?: string;
}

export class PrioritizeResponseDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  items!: Array<Record<string, unknown>>;
}
