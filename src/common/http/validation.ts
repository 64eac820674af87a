import { Type, ValidationError, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { ClassTransformOptions, instanceToPlain, plainToInstance } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
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

type TransformerPackage = NonNullable<ValidationPipeOptions['transformerPackage']>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether a DTO property holds free-form JSON: reflected as Object (`unknown`, `Record<…>`, unions) or Array, or
 * not a decorated property at all (unknown properties, which the whitelist then rejects).
 */
function isFreeForm(metatype: object, key: string): boolean {
  // An array of nested DTOs declares its element class with @Type: that one is transformed.
  if (defaultMetadataStorage.findTypeMetadata(metatype as new () => object, key)) return false;
  const type: unknown = Reflect.getMetadata('design:type', (metatype as { prototype: object }).prototype, key);
  return type === undefined || type === Object || type === Array;
}

/**
 * class-transformer de-duplicates the keys of every object it copies with indexOf, which is quadratic: 150k keys
 * held the event loop for 25 s before any validation ran. Free-form values need no transformation (no DTO here
 * nests classes), so they are handed over as parsed; only the DTO's typed properties go through class-transformer.
 * Nested DTOs (a class property type, or arrays declared with @Type) are transformed as before.
 */
export const linearTransformer: TransformerPackage = {
  plainToInstance<T>(metatype: Type<T>, plain: unknown, options?: ClassTransformOptions): T | T[] {
    if (!isPlainObject(plain)) return plainToInstance(metatype, plain, options);
    const typed: Record<string, unknown> = {};
    const free: Array<[string, unknown]> = [];
    for (const key of Object.keys(plain)) {
      if (isFreeForm(metatype, key)) free.push([key, plain[key]]);
      else typed[key] = plain[key];
    }
    const instance = plainToInstance(metatype, typed, options);
    for (const [key, value] of free) {
      Object.defineProperty(instance, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return instance;
  },
  classToPlain: (object, options) => instanceToPlain(object, options),
};

/** Rejects unknown properties and reports every failing field in the error details. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    transformerPackage: linearTransformer,
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
