import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException } from '../errors/app-exception';

export interface FieldError {
  field: string;
  message: string;
}

function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent
      ? /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`
      : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** Rejects unknown properties and reports every failing field in the error details. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors).slice(0, 50);
      const summary = details
        .slice(0, 3)
        .map((detail) => detail.message)
        .join('; ');
      return AppException.validation(summary || 'Request validation failed', details);
    },
  });
}
