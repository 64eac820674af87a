import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

const V1 = {
  type: 'object',
  required: ['jobdesc'],
  properties: { jobdesc: { type: 'string' }, status: { type: 'string' }, remarks: { type: 'string' } },
};
const V2 = {
  type: 'object',
  required: ['jobdesc', 'jobstatus'],
  properties: {
    jobdesc: { type: 'string' },
    jobstatus: { type: 'string', enum: ['ASSIGNED', 'INPROGRESS', 'COMPLETED'] },
    remarks: { type: 'string' },
    scantype: { type: 'string' },
  },
};
const V2_STEPS = [
  { op: 'rename', from: 'status', to: 'jobstatus' },
  { op: 'set_default', field: 'scantype', value: 'NONE' },
];

describe('record schemas and invariants API', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('shapes_api');
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  const put = (domain: string, body: unknown, key = tenant.adminKey) =>
    call(t, 'PUT', `/api/v1/schemas/${domain}`, { key, body });

  it('adds versions one by one and shows the current one with its history', async () => {
    const first = await put('task', { version: 1, json_schema: V1 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ domain: 'task', version: 1, upcast: [], created_by: 'admin-user' });
    expect((await put('task', { version: 2, json_schema: V2, upcast: V2_STEPS })).status).toBe(200);
    // a retried PUT of the current version changes nothing
    expect((await put('task', { version: 2, json_schema: V2, upcast: V2_STEPS })).body.version).toBe(2);

    const history = await call(t, 'GET', '/api/v1/schemas/task', { key: tenant.adminKey });
    expect(history.status).toBe(200);
    expect(history.body.current).toMatchObject({ version: 2, json_schema: V2, upcast: V2_STEPS });
    expect(history.body.history.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const list = await call(t, 'GET', '/api/v1/schemas', { key: tenant.adminKey });
    expect(list.body).toEqual(
      expect.arrayContaining([
        { domain: 'task', current_version: 2, updated_at: expect.any(String) },
        { domain: 'ticket', current_version: null, updated_at: null },
      ]),
    );
  });

  it('answers a version that is not the next one with a 409 naming /version', async () => {
    const gap = await put('task', { version: 4, json_schema: V2 });
    expectErrorBody(gap, 409, 'CONFLICT');
    expect(gap.body.error.details).toEqual([{ pointer: '/version', message: 'must be 3' }]);
  });

  it('answers a schema that does not compile with a 400 at /json_schema/properties/status/type', async () => {
    const bad = await put('ticket', { version: 1, json_schema: { properties: { status: { type: 'strng' } } } });
    expectErrorBody(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body.error.details[0].pointer).toBe('/json_schema/properties/status/type');
  });

  it('answers a bad step with a 400 at /upcast/1/from', async () => {
    const bad = await put('task', {
      version: 3,
      json_schema: { ...V2, properties: { ...V2.properties, notes: { type: 'string' } } },
      upcast: [
        { op: 'drop', field: 'scantype' },
        { op: 'rename', from: 'remraks', to: 'notes' },
      ],
    });
    expectErrorBody(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body.error.details).toEqual([
      { pointer: '/upcast/1/from', message: expect.stringMatching(/"remraks" is not a field/) },
    ]);
    const shape = await put('task', { version: 3, json_schema: V2, upcast: [{ op: 'rename', to: 'x' }], extra: 1 });
    expect(shape.body.error.details.map((d: { pointer: string }) => d.pointer)).toEqual(['/extra', '/upcast/0/from']);
  });

  it('refuses unknown domains, missing schemas and non-admin callers', async () => {
    expectErrorBody(await put('boat', { version: 1, json_schema: V1 }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await call(t, 'GET', '/api/v1/schemas/journal', { key: tenant.adminKey }), 404, 'NOT_FOUND');
    expectErrorBody(await put('journal', { version: 1, json_schema: V1 }, tenant.syncKey), 403);
    expectErrorBody(await call(t, 'GET', '/api/v1/invariants', { key: tenant.syncKey }), 403);
  });

  it('keeps each tenant’s schemas to itself', async () => {
    const other = await t.createTenant();
    const list = await call(t, 'GET', '/api/v1/schemas', { key: other.adminKey });
    expect(list.body.find((s: { domain: string }) => s.domain === 'task').current_version).toBeNull();
    expect(
      (await call(t, 'PUT', '/api/v1/schemas/task', { key: other.adminKey, body: { version: 1, json_schema: V2 } }))
        .status,
    ).toBe(200);
  });

  it('lists the invariants (on by default) and switches one off and on again', async () => {
    const before = await call(t, 'GET', '/api/v1/invariants', { key: tenant.adminKey });
    expect(before.status).toBe(200);
    expect(before.body.map((i: { name: string }) => i.name)).toEqual([
      'task_jobstatus',
      'ticket_status',
      'ticket_closing_comment',
      'work_order_workstatus',
      'attendance_overlap',
    ]);
    expect(before.body.every((i: { enabled: boolean; source: string }) => i.enabled && i.source === 'default')).toBe(
      true,
    );

    const off = await call(t, 'PUT', '/api/v1/invariants/ticket_status', {
      key: tenant.adminKey,
      body: { enabled: false },
    });
    expect(off.body).toMatchObject({ name: 'ticket_status', domain: 'ticket', enabled: false, source: 'tenant' });
    const on = await call(t, 'PUT', '/api/v1/invariants/ticket_status', {
      key: tenant.adminKey,
      body: { enabled: true },
    });
    expect(on.body.enabled).toBe(true);

    expectErrorBody(
      await call(t, 'PUT', '/api/v1/invariants/no_such', { key: tenant.adminKey, body: { enabled: false } }),
      400,
      'VALIDATION_FAILED',
    );
    expectErrorBody(
      await call(t, 'PUT', '/api/v1/invariants/ticket_status', { key: tenant.adminKey, body: { enabled: 'no' } }),
      400,
      'VALIDATION_FAILED',
    );
  });
});
