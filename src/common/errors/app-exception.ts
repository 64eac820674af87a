import { HttpStatus } from '@nestjs/common';

export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  UnsafeInteger = 'UNSAFE_INTEGER',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  UserRequired = 'USER_REQUIRED',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  MutationIdReused = 'MUTATION_ID_REUSED',
  AlreadyResolved = 'ALREADY_RESOLVED',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  RequestTimeout = 'REQUEST_TIMEOUT',
  HeadersTooLarge = 'HEADERS_TOO_LARGE',
  UnsupportedEncoding = 'UNSUPPORTED_CONTENT_ENCODING',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  ResyncRequired = 'RESYNC_REQUIRED',
  RateLimited = 'RATE_LIMITED',
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
  StreamLimit = 'STREAM_LIMIT_REACHED',
  ServerBusy = 'SERVER_BUSY',
  Internal = 'INTERNAL_ERROR',
}

const ERROR_STATUS: Record<ErrorCode, HttpStatus> = {
  [ErrorCode.ValidationFailed]: HttpStatus.BAD_REQUEST,
  [ErrorCode.UnsafeInteger]: HttpStatus.BAD_REQUEST,
  [ErrorCode.Unauthorized]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [ErrorCode.UserRequired]: HttpStatus.FORBIDDEN,
  [ErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.Conflict]: HttpStatus.CONFLICT,
  [ErrorCode.MutationIdReused]: HttpStatus.CONFLICT,
  [ErrorCode.AlreadyResolved]: HttpStatus.CONFLICT,
  [ErrorCode.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ErrorCode.RequestTimeout]: HttpStatus.REQUEST_TIMEOUT,
  /** Request Header Fields Too Large (RFC 6585), which HttpStatus lacks. */
  [ErrorCode.HeadersTooLarge]: 431 as HttpStatus,
  [ErrorCode.UnsupportedEncoding]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ErrorCode.UnsupportedMediaType]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ErrorCode.ResyncRequired]: HttpStatus.GONE,
  [ErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.DatabaseUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.StreamLimit]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.ServerBusy]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
};

/** Every error a module raises on purpose: a code the filter maps to a status, a message and optional details. */
export class AppException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get status(): HttpStatus {
    return ERROR_STATUS[this.code];
  }

  static validation(message: string, details: unknown[] = []): AppException {
    return new AppException(ErrorCode.ValidationFailed, message, details);
  }

  static notFound(what: string): AppException {
    return new AppException(ErrorCode.NotFound, `${what} not found`);
  }
}
