import { checkStepFields, parsePutSchemaRequest } from './schema-request.policy';

const SCHEMA = { type: 'object', properties: { jobstatus: { type: 'string' } } };
const errorsOf = (body: unknown) => {
  const parsed = parsePutSchemaRequest(body);
  return 'errors' in parsed ? parsed.errors : [];
};

describe('parsePutSchemaRequest', () => {
  it('accepts a version with its steps', () => {
    const body = { version: 2, json_schema: SCHEMA, upcast: [{ op: 'rename', from: 'status', to: 'jobstatus' }] };
    expect(parsePutSchemaRequest(body)).toEqual({ value: body });
    expect(parsePutSchemaRequest({ version: 1, json_schema: SCHEMA })).toEqual({
      value: { version: 1, json_schema: SCHEMA, upcast: [] },
    });
  });

  it('points at the step field that is missing: /upcast/1/from', () => {
    const body = {
      version: 3,
      json_schema: SCHEMA,
      upcast: [
        { op: 'drop', field: 'legacy' },
        { op: 'rename', to: 'jobstatus' },
      ],
    };
    expect(errorsOf(body)).toEqual([{ pointer: '/upcast/1/from', message: expect.stringMatching(/field name/) }]);
  });

  it('points at an unknown op, an extra key and a set_default without value', () => {
    const body = {
      version: 2,
      json_schema: SCHEMA,
      upcast: [
        { op: 'copy', field: 'a' },
        { op: 'drop', field: 'a', from: 'b' },
        { op: 'set_default', field: 'x' },
      ],
    };
    expect(errorsOf(body).map((e) => e.pointer)).toEqual(['/upcast/0/op', '/upcast/1/from', '/upcast/2/value']);
  });

  it('refuses a rename onto itself and a map_values without values', () => {
    const body = {
      version: 2,
      json_schema: SCHEMA,
      upcast: [
        { op: 'rename', from: 'a', to: 'a' },
        { op: 'map_values', field: 'a', values: {} },
      ],
    };
    expect(errorsOf(body).map((e) => e.pointer)).toEqual(['/upcast/0/to', '/upcast/1/values']);
  });

  it('refuses steps on version 1, a bad version, a missing schema and unknown keys', () => {
    expect(errorsOf({ version: 1, json_schema: SCHEMA, upcast: [{ op: 'drop', field: 'a' }] })).toEqual([
      { pointer: '/upcast', message: expect.stringMatching(/version 1/) },
    ]);
    expect(errorsOf({ version: 0, json_schema: [], extra: 1 }).map((e) => e.pointer)).toEqual([
      '/extra',
      '/version',
      '/json_schema',
    ]);
    expect(errorsOf('nope')).toEqual([{ pointer: '', message: 'must be an object' }]);
  });
});

describe('checkStepFields', () => {
  const previous = new Set(['status', 'desc', 'legacy']);
  const next = new Set(['jobstatus', 'desc', 'scantype']);

  it('follows the names through the steps', () => {
    expect(
      checkStepFields(
        [
          { op: 'rename', from: 'status', to: 'jobstatus' },
          { op: 'map_values', field: 'jobstatus', values: { DONE: 'COMPLETED' } },
          { op: 'set_default', field: 'scantype', value: 'NONE' },
          { op: 'drop', field: 'legacy' },
        ],
        previous,
        next,
      ),
    ).toEqual([]);
  });

  it('names a step whose field the previous version does not have (a typo)', () => {
    expect(checkStepFields([{ op: 'rename', from: 'stauts', to: 'jobstatus' }], previous, next)).toEqual([
      { pointer: '/upcast/0/from', message: expect.stringMatching(/"stauts" is not a field/) },
    ]);
  });

  it('names a rename onto an existing field and a target the new schema does not have', () => {
    expect(
      checkStepFields(
        [
          { op: 'rename', from: 'status', to: 'desc' },
          { op: 'set_default', field: 'colour', value: 'red' },
        ],
        previous,
        next,
      ).map((e) => e.pointer),
    ).toEqual(['/upcast/0/to', '/upcast/1/field']);
  });

  it('checks nothing against an open schema', () => {
    expect(checkStepFields([{ op: 'drop', field: 'anything' }], null, null)).toEqual([]);
  });
});
