import { randomUUID } from 'node:crypto';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

/** App 5.1 writes task v1 (`status`), app 5.3 writes v2 (`jobstatus`, plus `scantype` and `endtime`). */
const V1 = {
  type: 'object',
  properties: { jobdesc: { type: 'string' }, status: { type: 'string' }, remarks: { type: 'string' } },
};
const V2 = {
  type: 'object',
  required: ['jobdesc', 'jobstatus', 'scantype'],
  properties: {
    jobdesc: { type: 'string' },
    jobstatus: { type: 'string', enum: ['ASSIGNED', 'INPROGRESS', 'COMPLETED', 'PARTIALLYCOMPLETED', 'STANDBY'] },
    remarks: { type: 'string' },
    scantype: { type: 'string' },
    endtime: { type: ['string', 'null'] },
  },
};
const V2_STEPS = [
  { op: 'rename', from: 'status', to: 'jobstatus' },
  { op: 'set_default', field: 'scantype', value: 'NONE' },
];

interface Item {
  domain?: string;
  mobile_id: string;
  base_version: number;
  data: Record<string, unknown>;
  schema_version?: number;
  client_mutation_id?: string;
  client_updated_at?: string;
}

describe('record shapes and domain invariants on the sync path', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('shapes_sync');
  });
  afterAll(() => t.close());

  async function tenantWithTaskVersions(): Promise<TestTenant> {
    const tenant = await t.createTenant();
    for (const body of [
      { version: 1, json_schema: V1 },
      { version: 2, json_schema: V2, upcast: V2_STEPS },
    ]) {
      expect((await call(t, 'PUT', '/api/v1/schemas/task', { key: tenant.adminKey, body })).status).toBe(200);
    }
    return tenant;
  }

  async function push(tenant: TestTenant, device: string, items: Item[], key = tenant.syncKey) {
    const response = await call(t, 'POST', '/api/v1/sync/push', {
      key,
      device,
      body: {
        items: items.map((item) => ({ client_mutation_id: randomUUID(), domain: 'task', ...item })),
        device_info: { app_version: device.includes('51') ? '5.1.0' : '5.3.0' },
      },
    });
    expect(response.status).toBe(200);
    return response.body.results as Array<Record<string, any>>;
  }

  async function stored(tenant: TestTenant, mobileId: string): Promise<{ version: number; data: any }> {
    const rows = await t.db.query('SELECT version, data FROM sync_record WHERE tenant_id = $1 AND mobile_id = $2', [
      tenant.id,
      mobileId,
    ]);
    return rows[0];
  }

  async function conflict(tenant: TestTenant, id: string): Promise<Record<string, any>> {
    const response = await call(t, 'GET', `/api/v1/conflicts/${id}`, { key: tenant.adminKey });
    expect(response.status).toBe(200);
    return response.body;
  }

  const current = { jobdesc: 'FE check', jobstatus: 'ASSIGNED', remarks: '', scantype: 'QR', endtime: null };

  it('merges a 5.1-shape edit and a 5.3-shape edit of one record field by field, as if both were current', async () => {
    const tenant = await tenantWithTaskVersions();
    const id = randomUUID();
    await push(tenant, 'phone-53', [{ mobile_id: id, base_version: 0, data: current, schema_version: 2 }]);
    const newer = await push(tenant, 'phone-53', [
      {
        mobile_id: id,
        base_version: 1,
        data: { ...current, jobstatus: 'INPROGRESS' },
        schema_version: 2,
        client_updated_at: '2025-09-28T10:00:00Z',
      },
    ]);
    expect(newer[0]).toMatchObject({ status: 'applied', server_version: 2 });
    // The 5.1 phone edited version 1 offline: only the remarks, in its own shape (`status`, no scantype/endtime).
    const older = await push(tenant, 'phone-51', [
      {
        mobile_id: id,
        base_version: 1,
        data: { jobdesc: 'FE check', status: 'ASSIGNED', remarks: 'gauge low' },
        schema_version: 1,
        client_updated_at: '2025-09-28T09:00:00Z',
      },
    ]);
    expect(older[0]).toMatchObject({ status: 'resolved', server_version: 3, winning_version: 'merged' });
    expect((await stored(tenant, id)).data).toEqual({ ...current, jobstatus: 'INPROGRESS', remarks: 'gauge low' });
    const log = await conflict(tenant, older[0].conflict_id);
    expect(log.merge_details).toMatchObject({ from_client: ['remarks'], conflicting_fields: [], three_way: true });
  });

  it('keeps the fields an old phone does not know, never its defaults, and counts the upcast items', async () => {
    const tenant = await tenantWithTaskVersions();
    const id = randomUUID();
    const full = { ...current, endtime: '2025-09-28T10:21:40+05:30' };
    await push(tenant, 'phone-53', [{ mobile_id: id, base_version: 0, data: full, schema_version: 2 }]);
    const edit = await push(tenant, 'phone-51', [
      {
        mobile_id: id,
        base_version: 1,
        data: { jobdesc: 'FE check', status: 'INPROGRESS', remarks: 'started' },
        schema_version: 1,
      },
    ]);
    expect(edit[0]).toMatchObject({ status: 'applied', server_version: 2 });
    // scantype stays QR (not the step's NONE default) and endtime stays: version 1 knows neither.
    expect((await stored(tenant, id)).data).toEqual({ ...full, jobstatus: 'INPROGRESS', remarks: 'started' });
    const queued = await t.db.query(
      `SELECT schema_version FROM sync_queue_item WHERE tenant_id = $1 AND device_id = 'phone-51'`,
      [tenant.id],
    );
    expect(queued).toEqual([{ schema_version: 1 }]);
    // The sync event is recorded once the response has gone: wait for both pushes' events.
    let events: Array<{ n: number; upcast: number }> = [];
    while (events[0]?.n !== 2) {
      events = await t.db.query(
        `SELECT count(*)::int AS n, COALESCE(sum(upcast_items), 0)::int AS upcast
           FROM sync_event WHERE tenant_id = $1 AND kind = 'push'`,
        [tenant.id],
      );
      if (events[0].n !== 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(events[0].upcast).toBe(1);
  });

  it('upcasts an item queued by an old phone when a partial sync applies it later', async () => {
    const tenant = await tenantWithTaskVersions();
    const id = randomUUID();
    await push(tenant, 'phone-53', [{ mobile_id: id, base_version: 0, data: current, schema_version: 2 }]);
    const queued = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'phone-51',
      body: {
        mode: 'enqueue',
        items: [
          {
            client_mutation_id: randomUUID(),
            domain: 'task',
            mobile_id: id,
            base_version: 1,
            data: { jobdesc: 'FE check', status: 'INPROGRESS', remarks: '' },
            schema_version: 1,
            priority: 'high',
          },
        ],
      },
    });
    expect(queued.body.results[0].status).toBe('queued');
    const partial = await call(t, 'POST', '/api/v1/sync/partial', {
      key: tenant.syncKey,
      device: 'phone-51',
      body: { priority: 'high' },
    });
    expect(partial.status).toBe(200);
    expect(await stored(tenant, id)).toEqual({ version: 2, data: { ...current, jobstatus: 'INPROGRESS' } });
  });

  it('rejects an item that fails its schema with SCHEMA_INVALID and the pointer, and replays the same results', async () => {
    const tenant = await tenantWithTaskVersions();
    const items: Item[] = [
      {
        client_mutation_id: 'bad',
        mobile_id: randomUUID(),
        base_version: 0,
        data: { jobdesc: 'x', jobstatus: 'DONE' },
      },
      { client_mutation_id: 'unknown', mobile_id: randomUUID(), base_version: 0, data: current, schema_version: 9 },
      { client_mutation_id: 'good', mobile_id: randomUUID(), base_version: 0, data: current, schema_version: 2 },
    ];
    const first = await push(tenant, 'phone-53', items);
    expect(first[0]).toMatchObject({
      status: 'rejected',
      error: {
        code: 'SCHEMA_INVALID',
        details: expect.arrayContaining([
          { pointer: '/data/jobstatus', message: expect.any(String) },
          { pointer: '/data/scantype', message: 'is required' },
        ]),
      },
    });
    expect(first[1]).toMatchObject({
      status: 'rejected',
      error: { code: 'SCHEMA_VERSION_UNKNOWN', details: [{ pointer: '/schema_version', message: expect.any(String) }] },
    });
    expect(first[2]).toMatchObject({ status: 'applied', server_version: 1 });
    expect(await stored(tenant, items[0].mobile_id)).toBeUndefined();
    const again = await push(tenant, 'phone-53', items);
    expect(again).toEqual(first.map((result) => ({ ...result, replayed: true })));
  });

  it('sends a pull of an older version its own shape, saying what could not be downcast', async () => {
    const tenant = await tenantWithTaskVersions();
    const id = randomUUID();
    await push(tenant, 'phone-53', [{ mobile_id: id, base_version: 0, data: current, schema_version: 2 }]);
    const pull = await call(t, 'GET', '/api/v1/sync/pull?schema_version=task:1', {
      key: tenant.syncKey,
      device: 'phone-51',
    });
    expect(pull.status).toBe(200);
    const change = pull.body.changes.find((c: { mobile_id: string }) => c.mobile_id === id);
    // scantype came in by a set_default but V1 does not name it; endtime is not V1's either but no step drops it.
    expect(change).toMatchObject({ schema_version: 1, data: { jobdesc: 'FE check', status: 'ASSIGNED', remarks: '' } });
    expect(change.data.jobstatus).toBeUndefined();
    expect(change.data.scantype).toBeUndefined();
    const post = await call(t, 'POST', '/api/v1/sync/pull', {
      key: tenant.syncKey,
      device: 'phone-51',
      body: { schema_version: 2 },
    });
    expect(post.body.changes.find((c: { mobile_id: string }) => c.mobile_id === id)).toMatchObject({
      schema_version: 2,
      data: current,
    });
    const bad = await call(t, 'GET', '/api/v1/sync/pull?schema_version=task:x', { key: tenant.syncKey, device: 'p' });
    expect(bad.status).toBe(400);
  });

  /** Each domain rule: a record, the illegal move a phone makes, and the invariant that can switch it off. */
  const ILLEGAL = [
    {
      invariant: 'ticket_status',
      domain: 'ticket',
      create: { ticketdesc: 'Leak', status: 'CLOSED', comments: 'fixed' },
      move: { ticketdesc: 'Leak', status: 'INPROGRESS', comments: 'fixed' },
      reason: 'INVALID_TRANSITION',
      rule: { from: 'CLOSED', to: 'INPROGRESS', rule: 'not_allowed' },
    },
    {
      invariant: 'ticket_closing_comment',
      domain: 'ticket',
      create: { ticketdesc: 'Leak', status: 'OPEN', comments: '' },
      move: { ticketdesc: 'Leak', status: 'RESOLVED', comments: '' },
      reason: 'INVALID_TRANSITION',
      rule: { from: 'OPEN', to: 'RESOLVED', rule: 'comment_required' },
    },
    {
      invariant: 'task_jobstatus',
      domain: 'task',
      create: { jobdesc: 'FE check', jobstatus: 'COMPLETED' },
      move: { jobdesc: 'FE check', jobstatus: 'ASSIGNED' },
      reason: 'INVALID_TRANSITION',
      rule: { from: 'COMPLETED', to: 'ASSIGNED', rule: 'not_allowed' },
    },
    {
      invariant: 'work_order_workstatus',
      domain: 'work_order',
      create: { description: 'Chiller PPM', workstatus: 'CLOSED' },
      move: { description: 'Chiller PPM', workstatus: 'INPROGRESS' },
      reason: 'INVALID_TRANSITION',
      rule: { from: 'CLOSED', to: 'INPROGRESS', rule: 'not_allowed' },
    },
  ];

  it.each(ILLEGAL)(
    'sends an illegal $domain move ($invariant) to a supervisor, who can accept the device’s copy',
    async (c) => {
      const tenant = await t.createTenant();
      const id = randomUUID();
      await push(tenant, 'phone', [{ domain: c.domain, mobile_id: id, base_version: 0, data: c.create }]);
      const [result] = await push(tenant, 'phone', [
        { domain: c.domain, mobile_id: id, base_version: 1, data: c.move },
      ]);
      expect(result).toMatchObject({ status: 'manual_required', server_version: 1, conflict_id: expect.any(String) });
      expect(result.record.data).toEqual(c.create);
      expect(await stored(tenant, id)).toEqual({ version: 1, data: c.create });
      const log = await conflict(tenant, result.conflict_id);
      expect(log).toMatchObject({
        resolution_strategy: 'invariant',
        resolution_result: 'manual_required',
        client_entry: c.move,
        server_entry: c.create,
        merge_details: { reason: c.reason, invariant: c.invariant, rule: c.rule },
      });
      const resolved = await call(t, 'POST', `/api/v1/conflicts/${result.conflict_id}/resolve`, {
        key: tenant.adminKey,
        body: { choose: 'client' },
      });
      expect(resolved.status).toBe(200);
      expect(await stored(tenant, id)).toEqual({ version: 2, data: c.move });
    },
  );

  it.each(ILLEGAL)('applies the $domain move once the tenant switched $invariant off', async (c) => {
    const tenant = await t.createTenant();
    const off = await call(t, 'PUT', `/api/v1/invariants/${c.invariant}`, {
      key: tenant.adminKey,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    const id = randomUUID();
    await push(tenant, 'phone', [{ domain: c.domain, mobile_id: id, base_version: 0, data: c.create }]);
    const [result] = await push(tenant, 'phone', [{ domain: c.domain, mobile_id: id, base_version: 1, data: c.move }]);
    expect(result).toMatchObject({ status: 'applied', server_version: 2 });
    expect(await stored(tenant, id)).toEqual({ version: 2, data: c.move });
  });

  const punch = (people: number, from: string, to: string | null) => ({
    people,
    shift: 12,
    datefor: from.slice(0, 10),
    punchintime: from,
    punchouttime: to,
  });

  it('sends the second of two overlapping punches of one person to review, stored or in the same push', async () => {
    const tenant = await t.createTenant();
    const morning = randomUUID();
    await push(tenant, 'phone', [
      {
        domain: 'attendance',
        mobile_id: morning,
        base_version: 0,
        data: punch(7, '2025-09-28T08:00:00+05:30', '2025-09-28T12:00:00+05:30'),
      },
    ]);
    const overlapping = randomUUID();
    const later = randomUUID();
    const clash = randomUUID();
    const results = await push(tenant, 'phone', [
      {
        domain: 'attendance',
        mobile_id: overlapping,
        base_version: 0,
        data: punch(7, '2025-09-28T11:00:00+05:30', '2025-09-28T13:00:00+05:30'),
      },
      {
        domain: 'attendance',
        mobile_id: later,
        base_version: 0,
        data: punch(7, '2025-09-28T14:00:00+05:30', '2025-09-28T18:00:00+05:30'),
      },
      {
        domain: 'attendance',
        mobile_id: clash,
        base_version: 0,
        data: punch(7, '2025-09-28T17:00:00+05:30', '2025-09-28T19:00:00+05:30'),
      },
      {
        domain: 'attendance',
        mobile_id: randomUUID(),
        base_version: 0,
        data: punch(8, '2025-09-28T11:00:00+05:30', null),
      },
    ]);
    expect(results.map((r) => r.status)).toEqual(['manual_required', 'applied', 'manual_required', 'applied']);
    expect((await conflict(tenant, results[0].conflict_id)).merge_details).toMatchObject({
      reason: 'ATTENDANCE_OVERLAP',
      invariant: 'attendance_overlap',
      rule: { people: '7', overlaps: [morning] },
    });
    expect((await conflict(tenant, results[2].conflict_id)).merge_details.rule.overlaps).toEqual([later]);
    expect(await stored(tenant, overlapping)).toBeUndefined();
    const accepted = await call(t, 'POST', `/api/v1/conflicts/${results[0].conflict_id}/resolve`, {
      key: tenant.adminKey,
      body: { choose: 'client' },
    });
    expect(accepted.status).toBe(200);
    expect((await stored(tenant, overlapping)).version).toBe(1);

    await call(t, 'PUT', '/api/v1/invariants/attendance_overlap', { key: tenant.adminKey, body: { enabled: false } });
    const [off] = await push(tenant, 'phone', [
      {
        domain: 'attendance',
        mobile_id: randomUUID(),
        base_version: 0,
        data: punch(7, '2025-09-28T09:00:00+05:30', '2025-09-28T10:00:00+05:30'),
      },
    ]);
    expect(off.status).toBe('applied');
  });
});
