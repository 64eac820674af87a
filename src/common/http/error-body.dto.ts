import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One failing input: a request field (`items[0].domain`) or a JSON pointer into it (`/data/status`). */
export class ErrorItemDto {
  @ApiPropertyOptional({ example: 'items[0].domain' })
  field?: string;
  @ApiPropertyOptional({ example: '/upcast/1/from' })
  pointer?: string;
  /** A 409 MUTATION_ID_REUSED: the push item's id that came back with another payload. */
  @ApiPropertyOptional()
  client_mutation_id?: string;
  @ApiProperty({ example: 'must be one of journal, attendance, task, ticket, work_order' })
  message!: string;
}

export class ErrorDetailDto {
  @ApiProperty({ example: 'VALIDATION_FAILED' })
  code!: string;

  @ApiProperty({ example: 'items[0].domain must be one of journal, attendance, task, ticket, work_order' })
  message!: string;

  /** The failing inputs of a 400, one entry each (at most 50); empty for other errors. */
  @ApiProperty({ type: [ErrorItemDto] })
  details!: unknown[];

  @ApiProperty({ example: '5f0c6a8e-2b1d-4d7e-9f65-3c3b1a0e9d21' })
  request_id!: string;
}

/** The error body of every 4xx/5xx response. */
export class ErrorBodyDto {
  @ApiProperty({ type: ErrorDetailDto })
  error!: ErrorDetailDto;
}
