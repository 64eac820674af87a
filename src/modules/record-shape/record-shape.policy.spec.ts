import { resolveConflict } from '../conflict/conflict.policy';
import type { DomainShapes } from './record-shape.catalog';
import { tenantShapes } from './record-shape.catalog';
import { downcastItem, ShapeInput, shapeItem } from './record-shape.policy';
import { SchemaValidatorCache } from './schema-validator';
import type { UpcastStep } from './upcast.policy';

const V1 = {
  type: 'object',
  properties: { jobdesc: { type: 'string' }, status: { type: 'string' }, remarks: { type: 'string' } },
};
const V3 = {
  type: 'object',
  required: ['jobdesc', 'jobstatus', 'scantype'],
  properties: {
    jobdesc: { type: 'string', minLength: 3 },
    jobstatus: { type: 'string', enum: ['ASSIGNED', 'INPROGRESS', 'COMPLETED', 'STANDBY'] },
    remarks: { type: 'string' },
    scantype: { type: 'string', enum: ['NONE', 'QR', 'NFC'] },
  },
};
const V2 = { ...V1, properties: { jobdesc: V1.properties.jobdesc, jobstatus: { type: 'string' }, remarks: {} } };

function row(version: number, json_schema: Record<string, unknown>, upcast: UpcastStep[] = []) {
  return { domain: 'task', version, json_schema, upcast, created_by: null, created_at: new Date(0) };
}

/** App 5.1 = schema 1, 5.2 = 2 (status renamed to jobstatus), 5.3 = 3 (scantype added, default NONE). */
const SHAPES: DomainShapes = tenantShapes(
  [
    row(1, V1),
    row(2, V2, [{ op: 'rename', from: 'status', to: 'jobstatus' }]),
    row(3, V3, [{ op: 'set_default', field: 'scantype', value: 'NONE' }]),
  ],
  [],
).domains.get('task')!;

const validators = new SchemaValidatorCache();
const validate = (data: Record<string, unknown>) => validators.validate('t/task/3', V3, data);
const item = (overrides: Partial<ShapeInput>): ShapeInput => ({
  key: 'm-1',
  domain: 'task',
  data: {},
  server: null,
  ...overrides,
});

describe('shapeItem', () => {
  const base = { jobdesc: 'FE check', jobstatus: 'ASSIGNED', remarks: '', scantype: 'QR' };

  it('merges a 5.1-shape edit and a 5.3-shape edit field by field as if both were current', () => {
    // the 5.3 phone wrote remarks first; the 5.1 phone, from the same base, started the job
    const server = { ...base, remarks: 'gauge low' };
    const old = shapeItem(
      SHAPES,
      item({ schema_version: 1, data: { jobdesc: 'FE check', status: 'INPROGRESS', remarks: '' }, server }),
      validate,
    );
    expect(old).toMatchObject({ ok: true, schema_version: 3, upcast_from: 1 });
    const client = (old as { data: Record<string, unknown> }).data;
    const merged = resolveConflict(
      { resolution_policy: 'most_recent_wins', auto_resolve: true, notify_on_conflict: false, protected_fields: null },
      { base, server, client, serverUpdatedAt: '2025-09-28T10:00:00Z', clientUpdatedAt: '2025-09-28T09:00:00Z' },
    );
    expect(merged.winning_entry).toEqual({ ...base, jobstatus: 'INPROGRESS', remarks: 'gauge low' });
    expect(merged.merge_details.conflicting_fields).toEqual([]);
  });

  it('keeps what an old phone does not know (scantype QR stays, not the default NONE)', () => {
    const outcome = shapeItem(
      SHAPES,
      item({ schema_version: 2, data: { jobdesc: 'FE check', jobstatus: 'COMPLETED' }, server: base }),
      validate,
    );
    expect(outcome).toEqual({
      key: 'm-1',
      ok: true,
      data: { jobdesc: 'FE check', jobstatus: 'COMPLETED', scantype: 'QR' },
      schema_version: 3,
      upcast_from: 2,
    });
  });

  it('rejects an item the current schema refuses, with the JSON pointer into the item', () => {
    const outcome = shapeItem(SHAPES, item({ data: { jobdesc: 'FE', jobstatus: 'DONE' } }), validate);
    expect(outcome).toEqual({
      key: 'm-1',
      ok: false,
      error: {
        code: 'SCHEMA_INVALID',
        message: expect.stringMatching(/^\/data\/\w+ /),
        details: expect.arrayContaining([
          { pointer: '/data/jobdesc', message: expect.any(String) },
          { pointer: '/data/jobstatus', message: 'must be equal to one of the allowed values' },
          { pointer: '/data/scantype', message: 'is required' },
        ]),
      },
    });
  });

  it('rejects a schema version the tenant does not have', () => {
    expect(shapeItem(SHAPES, item({ schema_version: 9, data: base }), validate)).toMatchObject({
      ok: false,
      error: { code: 'SCHEMA_VERSION_UNKNOWN', details: [{ pointer: '/schema_version' }] },
    });
  });

  it('leaves records of a domain without schema, and tombstones, as they are', () => {
    expect(shapeItem(undefined, item({ schema_version: 4, data: { x: 1 } }), validate)).toMatchObject({
      ok: true,
      data: { x: 1 },
      schema_version: null,
    });
    expect(shapeItem(SHAPES, item({ schema_version: 1, data: { status: 'x' }, deleted: true }), validate)).toEqual({
      key: 'm-1',
      ok: true,
      data: { status: 'x' },
      schema_version: 3,
      upcast_from: 1,
    });
  });
});

describe('downcastItem', () => {
  it('gives a 5.1 phone its own field names', () => {
    const outcome = downcastItem(SHAPES, {
      key: 'r',
      domain: 'task',
      data: { jobdesc: 'FE check', jobstatus: 'INPROGRESS', scantype: 'QR' },
      schema_version: 1,
    });
    expect(outcome).toEqual({
      key: 'r',
      ok: true,
      data: { jobdesc: 'FE check', status: 'INPROGRESS' },
      schema_version: 1,
      lossy: [],
    });
  });

  it('refuses a version the tenant does not have', () => {
    expect(downcastItem(SHAPES, { key: 'r', domain: 'task', data: {}, schema_version: 0 })).toMatchObject({
      ok: false,
      error: { code: 'SCHEMA_VERSION_UNKNOWN' },
    });
  });
});
