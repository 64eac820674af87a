import fc from 'fast-check';
import {
  applySteps,
  downcast,
  keepUnknownFields,
  knownFields,
  schemaFields,
  upcast,
  UpcastStep,
  VersionShape,
} from './upcast.policy';

function version(n: number, fields: string[] | null, steps: UpcastStep[] = []): VersionShape {
  return { version: n, upcast: steps, fields: fields === null ? null : new Set(fields) };
}

/** App 5.1 wrote `status` and `desc`; 5.2 renamed them; 5.3 added `scantype` (default NONE) and dropped `legacy`. */
const TASK_VERSIONS: VersionShape[] = [
  version(1, ['desc', 'status', 'remarks', 'legacy']),
  version(
    2,
    ['jobdesc', 'jobstatus', 'remarks', 'legacy'],
    [
      { op: 'rename', from: 'status', to: 'jobstatus' },
      { op: 'rename', from: 'desc', to: 'jobdesc' },
      { op: 'map_values', field: 'jobstatus', values: { DONE: 'COMPLETED', STARTED: 'INPROGRESS' } },
    ],
  ),
  version(
    3,
    ['jobdesc', 'jobstatus', 'remarks', 'scantype'],
    [
      { op: 'set_default', field: 'scantype', value: 'NONE' },
      { op: 'drop', field: 'legacy' },
    ],
  ),
];

describe('upcast', () => {
  it('renames a 5.1 status to the current jobstatus and maps its old value', () => {
    expect(upcast({ status: 'DONE', desc: 'FE check', legacy: 1 }, TASK_VERSIONS, 1, 3)).toEqual({
      jobstatus: 'COMPLETED',
      jobdesc: 'FE check',
      scantype: 'NONE',
    });
  });

  it('sets a default only where the field is missing', () => {
    expect(upcast({ jobstatus: 'ASSIGNED', scantype: 'QR' }, TASK_VERSIONS, 2, 3)).toEqual({
      jobstatus: 'ASSIGNED',
      scantype: 'QR',
    });
    expect(upcast({ jobstatus: 'ASSIGNED', scantype: null }, TASK_VERSIONS, 2, 3).scantype).toBeNull();
  });

  it('leaves a value the map does not name as it is', () => {
    expect(upcast({ status: 'STANDBY' }, TASK_VERSIONS, 1, 2)).toEqual({ jobstatus: 'STANDBY' });
  });

  it('changes nothing for a record already in the current version', () => {
    const data = { jobstatus: 'ASSIGNED', legacy: 1 };
    expect(upcast(data, TASK_VERSIONS, 3, 3)).toEqual(data);
  });

  it('never changes the record it was given, nor a default shared by records', () => {
    const steps: UpcastStep[] = [{ op: 'set_default', field: 'tags', value: [] }];
    const data = { a: 1 };
    const first = applySteps(data, steps);
    (first.tags as string[]).push('x');
    expect(data).toEqual({ a: 1 });
    expect(applySteps({}, steps)).toEqual({ tags: [] });
  });
});

describe('keepUnknownFields', () => {
  const server = { jobdesc: 'FE check', jobstatus: 'INPROGRESS', remarks: 'gauge low', scantype: 'QR', asset: 21877 };

  it("keeps a field an old phone does not know from the server copy (5.2 has no scantype; the server's QR stays)", () => {
    const sent = { jobdesc: 'FE check', jobstatus: 'COMPLETED', remarks: 'refilled' };
    const up = upcast(sent, TASK_VERSIONS, 2, 3);
    expect(up.scantype).toBe('NONE');
    const known = knownFields(TASK_VERSIONS, 2, 3, Object.keys(sent));
    expect(keepUnknownFields(up, known, server)).toEqual({ ...server, jobstatus: 'COMPLETED', remarks: 'refilled' });
  });

  it('lets an old phone clear a field it knows', () => {
    const sent = { desc: 'FE check', status: 'STARTED' };
    const known = knownFields(TASK_VERSIONS, 1, 3, Object.keys(sent));
    const result = keepUnknownFields(upcast(sent, TASK_VERSIONS, 1, 3), known, server);
    expect(result).not.toHaveProperty('remarks');
    expect(result).toMatchObject({ jobstatus: 'INPROGRESS', scantype: 'QR', asset: 21877 });
  });

  it('keeps the default on a new record (no server copy)', () => {
    const sent = { jobstatus: 'ASSIGNED' };
    const known = knownFields(TASK_VERSIONS, 2, 3, Object.keys(sent));
    expect(keepUnknownFields(upcast(sent, TASK_VERSIONS, 2, 3), known, null)).toEqual({
      jobstatus: 'ASSIGNED',
      scantype: 'NONE',
    });
  });

  it('treats a version whose schema names no properties as knowing every field', () => {
    const open = [version(1, null), version(2, ['a'], [{ op: 'set_default', field: 'a', value: 0 }])];
    expect(knownFields(open, 1, 2, ['b'])).toBeNull();
    expect(keepUnknownFields({ a: 0 }, null, { a: 5, c: 1 })).toEqual({ a: 0 });
  });

  it('never changes a field the client knows, and keeps every server field it does not (property)', () => {
    const name = fc.constantFrom<string>('a', 'b', 'c', 'd', 'e');
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.integer()),
        fc.dictionary(name, fc.integer()),
        fc.uniqueArray(name),
        (client, serverCopy, knownList) => {
          const known = new Set(knownList);
          const result = keepUnknownFields(client, known, serverCopy);
          for (const field of known) expect(result[field]).toBe(client[field]);
          for (const field of Object.keys(serverCopy)) {
            if (!known.has(field)) expect(result[field]).toBe(serverCopy[field]);
          }
        },
      ),
    );
  });
});

describe('downcast', () => {
  it('renames back and removes the fields a set_default added for the older version', () => {
    const current = { jobdesc: 'FE check', jobstatus: 'ASSIGNED', scantype: 'QR' };
    expect(downcast(current, TASK_VERSIONS, 3, 1)).toEqual({
      data: { desc: 'FE check', status: 'ASSIGNED' },
      lossy: [{ version: 3, step: 1, op: 'drop', field: 'legacy', reason: expect.stringMatching(/not kept/) }],
    });
  });

  it('maps a value back where one older value maps to it', () => {
    expect(downcast({ jobstatus: 'COMPLETED' }, TASK_VERSIONS, 2, 1).data).toEqual({ status: 'DONE' });
  });

  it('reports a many-to-one map_values as lossy and leaves the value', () => {
    const versions = [
      version(1, ['s']),
      version(2, ['s'], [{ op: 'map_values', field: 's', values: { DONE: 'COMPLETED', FINISHED: 'COMPLETED' } }]),
    ];
    const result = downcast({ s: 'COMPLETED' }, versions, 2, 1);
    expect(result.data).toEqual({ s: 'COMPLETED' });
    expect(result.lossy).toEqual([expect.objectContaining({ version: 2, step: 0, op: 'map_values', field: 's' })]);
  });

  it('undoes any chain of renames exactly (property)', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...names)), { maxLength: 6 }),
        fc.dictionary(fc.constantFrom(...names), fc.integer()),
        (pairs, data) => {
          // a valid chain (checkStepFields) never renames onto a field that is there
          const names = new Set(Object.keys(data));
          const steps: UpcastStep[] = [];
          for (const [from, to] of pairs) {
            if (from === to || names.has(to)) continue;
            if (names.delete(from)) names.add(to);
            steps.push({ op: 'rename', from, to });
          }
          const versions = [version(1, null), ...steps.map((step, i) => version(i + 2, null, [step]))];
          const last = versions.length;
          const up = upcast(data, versions, 1, last);
          expect(downcast(up, versions, last, 1)).toEqual({ data, lossy: [] });
        },
      ),
    );
  });
});

describe('schemaFields', () => {
  it('names the top-level properties, or null for an open schema', () => {
    expect(schemaFields({ type: 'object', properties: { a: {}, b: {} } })).toEqual(new Set(['a', 'b']));
    expect(schemaFields({ type: 'object' })).toBeNull();
    expect(schemaFields({ properties: {} })).toBeNull();
  });
});
