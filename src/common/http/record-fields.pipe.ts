import { Inject, Injectable, mixin, PipeTransform, Type } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { TimeSlicer } from '../async/time-slice';
import { AppException } from '../errors/app-exception';

/**
 * Fields of a JSON value: every object member and every array item, nested ones included. Linear, and stops once
 * the count passes `limit`; iterative, so deep nesting cannot exhaust the stack.
 */
export function countJsonFields(value: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    count += children.length;
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return count;
}

interface Located {
  field: string;
  value: unknown;
}

/** The values at `path` (`data`, `items.*.data`: `*` is every item of an array) with their error-detail names. */
function valuesAt(root: unknown, path: string): Located[] {
  let current: Located[] = [{ field: '', value: root }];
  for (const segment of path.split('.')) {
    const next: Located[] = [];
    for (const { field, value } of current) {
      if (segment === '*') {
        if (Array.isArray(value)) value.forEach((item, i) => next.push({ field: `${field}[${i}]`, value: item }));
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const child = (value as Record<string, unknown>)[segment];
        if (child !== undefined) next.push({ field: field ? `${field}.${segment}` : segment, value: child });
      }
    }
    current = next;
  }
  return current;
}

/**
 * A body pipe that refuses records of more than RECORD_MAX_FIELDS fields (400) before a handler does any work with
 * them; `paths` name the record-valued properties. `@Body(RecordFieldsPipe('server_version', 'client_version'))`.
 * Record by record in slices of the event loop: 1,000 records of 2,000 fields are 2 million fields to count.
 */
export function RecordFieldsPipe(...paths: string[]): Type<PipeTransform> {
  @Injectable()
  class RecordFieldsMixin implements PipeTransform {
    constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

    async transform<T>(body: T): Promise<T> {
      const max = this.config.get('RECORD_MAX_FIELDS');
      const slicer = new TimeSlicer();
      for (const path of paths) {
        for (const { field, value } of valuesAt(body, path)) {
          if (countJsonFields(value, max) > max) {
            throw AppException.validation(`${field} has more than ${max} fields (RECORD_MAX_FIELDS)`, [
              { field, message: `at most ${max} fields, nested fields and array items included` },
            ]);
          }
          await slicer.tick();
        }
      }
      return body;
    }
  }
  return mixin(RecordFieldsMixin);
}
