import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JSON_VALUE } from './openapi-document';

/** One RFC 6902 operation. */
export class JsonPatchOperationDto {
  @ApiProperty({ enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] })
  op!: string;
  /** JSON Pointer (RFC 6901). */
  path!: string;
  @ApiPropertyOptional({ ...JSON_VALUE, description: 'New value (add, replace, test): any JSON value' })
  value?: unknown;
  /** Source pointer (move, copy). */
  from?: string;
}
