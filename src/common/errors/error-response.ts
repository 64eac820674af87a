import { HttpException, HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppException, ErrorCode } from './app-exception';

export interface ErrorBody {
  error: { code: string; message: string; details: unknown[]; request_id: string };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the error is not one the service raised on purpose and should be logged with its stack. */
  unexpected: boolean;
}

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  408: ErrorCode.RequestTimeout,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.RateLimited,
  503: ErrorCode.DatabaseUnavailable,
};

/** SQLSTATE classes and driver messages that mean the database is out of reach, not that the request is wrong. */
const UNAVAILABLE_SQLSTATES = /^(08|57P0[1-3]|53300|40001|40P01|55P03|57014)/;
const UNAVAILABLE_MESSAGES =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down)|terminating connection|Cannot use a pool after calling end|not currently accepting connections|Query runner already released|Connection terminated unexpectedly/i;
/** Data exceptions (class 22) are bad input that slipped past validation: a 400, never a 500. */
const BAD_INPUT_SQLSTATES = /^22/;

interface DriverError {
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
}

function driverError(error: unknown): DriverError {
  const source: unknown = error instanceof QueryFailedError ? error.driverError : error;
  return typeof source === 'object' && source !== null ? source : {};
}

function isDatabaseUnavailable(error: unknown): boolean {
  const driver = driverError(error);
  const code = typeof driver.code === 'string' ? driver.code : '';
  const message = typeof driver.message === 'string' ? driver.message : String(error);
  return UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_MESSAGES.test(message) || UNAVAILABLE_MESSAGES.test(code);
}

function body(code: string, message: string, details: unknown[], requestId: string): ErrorBody {
  return { error: { code, message, details, request_id: requestId } };
}

export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  if (error instanceof AppException) {
    return {
      status: error.status,
      body: body(error.code, error.message, error.details, requestId),
      headers: error.headers,
      unexpected: false,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = STATUS_CODES[status] ?? (status >= 500 ? ErrorCode.Internal : ErrorCode.ValidationFailed);
    const message = status >= 500 ? 'Internal server error' : error.message;
    return { status, body: body(code, message, [], requestId), headers: {}, unexpected: status >= 500 };
  }
  const driver = driverError(error);
  // Fastify's own errors (body parsing, size limit, media type) carry their status code.
  if (typeof driver.statusCode === 'number' && driver.statusCode >= 400 && driver.statusCode < 500) {
    const status = driver.statusCode;
    const code = STATUS_CODES[status] ?? ErrorCode.ValidationFailed;
    const message = typeof driver.message === 'string' ? driver.message : 'Bad request';
    return { status, body: body(code, message, [], requestId), headers: {}, unexpected: false };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: body(ErrorCode.DatabaseUnavailable, 'Database unavailable, retry later', [], requestId),
      headers: { 'retry-after': '5' },
      unexpected: false,
    };
  }
  if (error instanceof QueryFailedError && typeof driver.code === 'string' && BAD_INPUT_SQLSTATES.test(driver.code)) {
    return {
      status: HttpStatus.BAD_REQUEST,
      body: body(ErrorCode.ValidationFailed, 'A value is out of range or malformed', [], requestId),
      headers: {},
      unexpected: false,
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: body(ErrorCode.Internal, 'Internal server error', [], requestId),
    headers: {},
    unexpected: true,
  };
}
