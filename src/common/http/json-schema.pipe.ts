import { Injectable, PipeTransform } from '@nestjs/common';
import Ajv, { ErrorObject, JSONSchemaType, ValidateFunction } from 'ajv';
import { AppException } from '../errors/app-exception';

const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false, useDefaults: false });

function field(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return path ? `${path}.${extra}` : extra;
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return path ? `${path}.${missing}` : missing;
  }
  return path || '(body)';
}

function message(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not an allowed property';
  if (error.keyword === 'required') return 'is required';
  return error.message ?? 'is invalid';
}

/**
 * Validates a body against a compiled JSON schema (much cheaper than decorator validation for large arrays, e.g. a
 * 1000-item push) and reports failures in the same error body as the global ValidationPipe.
 */
@Injectable()
export class JsonSchemaPipe<T> implements PipeTransform<unknown, T> {
  private readonly validate: ValidateFunction<T>;

  constructor(schema: JSONSchemaType<T> | Record<string, unknown>) {
    this.validate = ajv.compile<T>(schema);
  }

  transform(value: unknown): T {
    if (this.validate(value)) return value;
    const details = (this.validate.errors ?? [])
      .slice(0, 50)
      .map((error) => ({ field: field(error), message: message(error) }));
    const summary = details
      .slice(0, 3)
      .map((detail) => `${detail.field} ${detail.message}`)
      .join('; ');
    throw AppException.validation(summary || 'Request validation failed', details);
  }
}
