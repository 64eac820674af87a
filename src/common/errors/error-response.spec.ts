import { BadRequestException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppException, ErrorCode } from './app-exception';
import { toErrorResponse } from './error-response';

describe('toErrorResponse', () => {
  it('maps an AppException to its status and code', () => {
    const response = toErrorResponse(new AppException(ErrorCode.MutationIdReused, 'reused', [{ id: 'm-1' }]), 'r1');
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      error: { code: 'MUTATION_ID_REUSED', message: 'reused', details: [{ id: 'm-1' }], request_id: 'r1' },
    });
  });

  it('masks an unknown error as a 500 without its message', () => {
    const response = toErrorResponse(new Error('secret internals at foo.ts:12'), 'r2');
    expect(response.status).toBe(500);
    expect(response.unexpected).toBe(true);
    expect(JSON.stringify(response.body)).not.toContain('secret');
  });

  it('maps lost connections to 503', () => {
    const terminated = new QueryFailedError(
      'SELECT 1',
      [],
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    );
    expect(toErrorResponse(terminated, 'r3').status).toBe(503);
    expect(toErrorResponse(new Error('connect ECONNREFUSED 127.0.0.1:5432'), 'r4').status).toBe(503);
  });

  it('maps data exceptions and framework 4xx to 4xx', () => {
    const badInput = new QueryFailedError(
      'SELECT',
      [],
      Object.assign(new Error('invalid input syntax'), { code: '22P02' }),
    );
    expect(toErrorResponse(badInput, 'r5').status).toBe(400);
    expect(toErrorResponse(Object.assign(new Error('Body too large'), { statusCode: 413 }), 'r6').body.error.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(toErrorResponse(new BadRequestException('nope'), 'r7').body.error.code).toBe('VALIDATION_FAILED');
  });
});
