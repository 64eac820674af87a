import { ApiProperty } from '@nestjs/swagger';

export class ErrorDetailDto {
  @ApiProperty({ example: 'VALIDATION_FAILED' })
  code!: string;

  @ApiProperty({ example: 'items[0].domain must be one of journal, attendance, task, ticket, work_order' })
  message!: string;

  @ApiProperty({ type: 'array', items: { type: 'object' } })
  details!: unknown[];

  @ApiProperty({ example: '5f0c6a8e-2b1d-4d7e-9f65-3c3b1a0e9d21' })
  request_id!: string;
}

/** The error body of every 4xx/5xx response. */
export class ErrorBodyDto {
  @ApiProperty({ type: ErrorDetailDto })
  error!: ErrorDetailDto;
}
