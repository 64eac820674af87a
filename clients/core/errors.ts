import type { components } from '../generated/fieldsync-api';

type ErrorBody = components['schemas']['ErrorBodyDto'];

/** A non-2xx answer of the service, with its error body when it sent one. */
export class FieldsyncHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
  ) {
    super(`fieldsync answered ${status}${body ? ` ${body.error.code}: ${body.error.message}` : ''}`);
    this.name = 'FieldsyncHttpError';
  }

  get code(): string | undefined {
    return this.body?.error.code;
  }
}

/**
 * The device's cursor is below the purge horizon (410 RESYNC_REQUIRED): tombstones it never saw are gone, so the
 * local copy must be replaced by a replacement sync (API.md), not patched by the feed. Adapters surface it through
 * their `onResyncRequired` option and then throw it.
 */
export class ResyncRequiredError extends FieldsyncHttpError {
  constructor(body: ErrorBody | undefined) {
    super(410, body);
    this.name = 'ResyncRequiredError';
  }
}

export function httpError(status: number, body: unknown): FieldsyncHttpError {
  const errorBody = isErrorBody(body) ? body : undefined;
  if (status === 410 && errorBody?.error.code === 'RESYNC_REQUIRED') return new ResyncRequiredError(errorBody);
  return new FieldsyncHttpError(status, errorBody);
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = body.error;
  return typeof error === 'object' && error !== null && 'code' in error;
}
