import { randomUUID } from 'node:crypto';
import type { Logger } from 'typeorm';
import { RecordSchemaService } from '../../src/modules/record-shape/record-schema.service';
import { InvariantService } from '../../src/modules/record-shape/invariant.service';
import { RecordShapeService } from '../../src/modules/record-shape/record-shape.service';
import { SchemaValidatorCache } from '../../src/modules/record-shape/schema-validator';
import { pushItem, ticketData } from '../factories/records';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

const V1 = {
  type: 'object',
  properties: { jobdesc: { type: 'string' }, status: { type: 'string' }, remarks: { type: 'string' } },
};
const V2 = {
  type: 'object',
  required: ['jobdesc', 'jobstatus', 'scantype'],
  properties: {
    jobdesc: { type: 'string', minLength: 3 },
    jobstatus: { type: 'string', enum: ['ASSIGNED', 'INPROGRESS', 'COMPLETED'] },
    remarks: { type: 'string' },
    scantype: { type: 'string' },
  },
};

function attendance(people: number, punchintime: string, punchouttime: string | null): Record<string, unknown> {
  return { people, shift: 12, datefor: punchintime.slice(0, 10), punchintime, punchouttime, accuracy: 8.5 };
}

function countStatements(t: TestApp): { count(): number; stop(): void } {
  const original = t.db.logger;
  let statements = 0;
  const counting = {
    logQuery: () => (statements += 1),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  } as unknown as Logger;
  Object.assign(t.db, { logger: counting });
  return { count: () => statements, stop: () => Object.assign(t.db, { logger: original }) };
}

describe(RecordShapeService.name, () => {
  let t: TestApp;
  let shapes: RecordShapeService;
  let schemas: RecordSchemaService;
  let invariants: InvariantService;

  beforeAll(async () => {
    t = await startTestApp('record_shape');
    shapes = t.app.get(RecordShapeService);
    schemas = t.app.get(RecordSchemaService);
    invariants = t.app.get(InvariantService);
  });
  afterAll(() => t.close());

  async function tenantWithTaskSchemas(): Promise<TestTenant> {
    const tenant = await t.createTenant();
    await schemas.putSchema(tenant.id, 'task', { version: 1, json_schema: V1, upcast: [] }, null);
    await schemas.putSchema(
      tenant.id,
      'task',
      {
        version: 2,
        json_schema: V2,
        upcast: [
          { op: 'rename', from: 'status', to: 'jobstatus' },
          { op: 'set_default', field: 'scantype', value: 'NONE' },
        ],
      },
      null,
    );
    return tenant;
  }

  it('upcasts old items, keeps the fields they do not know and rejects invalid ones, per item', async () => {
    const tenant = await tenantWithTaskSchemas();
    const server = { jobdesc: 'FE check', jobstatus: 'ASSIGNED', remarks: '', scantype: 'QR' };
    const results = await shapes.prepareBatch(tenant.id, [
      { key: 'old', domain: 'task', schema_version: 1, data: { jobdesc: 'FE check', status: 'INPROGRESS' }, server },
      { key: 'new', domain: 'task', data: { ...server, jobstatus: 'COMPLETED' }, server },
      { key: 'bad', domain: 'task', schema_version: 2, data: { jobdesc: 'FE', jobstatus: 'DONE' }, server: null },
      { key: 'ticket', domain: 'ticket', schema_version: 7, data: ticketData(), server: null },
    ]);
    expect(results).toEqual([
      {
        key: 'old',
        ok: true,
        data: { jobdesc: 'FE check', jobstatus: 'INPROGRESS', scantype: 'QR' },
        schema_version: 2,
        upcast_from: 1,
      },
      {
        key: 'new',
        ok: true,
        data: { ...server, jobstatus: 'COMPLETED' },
        schema_version: 2,
        upcast_from: null,
      },
      {
        key: 'bad',
        ok: false,
        error: {
          code: 'SCHEMA_INVALID',
          message: expect.any(String),
          details: expect.arrayContaining([
            { pointer: '/data/jobstatus', message: expect.any(String) },
            { pointer: '/data/scantype', message: 'is required' },
          ]),
        },
      },
      { key: 'ticket', ok: true, data: ticketData(), schema_version: null, upcast_from: null },
    ]);
  });

  it('loads a tenant’s shapes once and compiles each version once, however many batches', async () => {
    const tenant = await tenantWithTaskSchemas();
    const validators = t.app.get(SchemaValidatorCache);
    const items = [...Array(100)].map((_, i) => ({
      key: `k${i}`,
      domain: 'task',
      schema_version: 1,
      data: { jobdesc: 'FE check', status: 'ASSIGNED' },
      server: null,
    }));
    await shapes.prepareBatch(tenant.id, items.slice(0, 1));
    const compiles = validators.compiles;
    const counter = countStatements(t);
    try {
      for (let i = 0; i < 5; i++) {
        const results = await shapes.prepareBatch(tenant.id, items);
        expect(results.every((r) => r.ok)).toBe(true);
      }
      expect(counter.count()).toBe(0);
    } finally {
      counter.stop();
    }
    expect(validators.compiles).toBe(compiles);
  });

  it('uses a new version as soon as it is PUT', async () => {
    const tenant = await tenantWithTaskSchemas();
    const item = { key: 'k', domain: 'task', data: { jobdesc: 'FE check', jobstatus: 'ASSIGNED' }, server: null };
    expect((await shapes.prepareBatch(tenant.id, [item]))[0]).toMatchObject({ ok: false });
    await schemas.putSchema(
      tenant.id,
      'task',
      { version: 3, json_schema: { ...V2, required: ['jobdesc'] }, upcast: [] },
      null,
    );
    expect((await shapes.prepareBatch(tenant.id, [item]))[0]).toMatchObject({ ok: true, schema_version: 3 });
  });

  it('gives a pull of an older version its own field names', async () => {
    const tenant = await tenantWithTaskSchemas();
    const [result] = await shapes.downcastBatch(tenant.id, [
      {
        key: 'r',
        domain: 'task',
        data: { jobdesc: 'FE check', jobstatus: 'ASSIGNED', scantype: 'QR' },
        schema_version: 1,
      },
    ]);
    expect(result).toEqual({
      key: 'r',
      ok: true,
      data: { jobdesc: 'FE check', status: 'ASSIGNED' },
      schema_version: 1,
      lossy: [],
    });
  });

  it('sends each illegal status move to review, unless the tenant switched the invariant off', async () => {
    const tenant = await t.createTenant();
    const mobile = randomUUID();
    const pairs = [
      {
        key: 'reopen',
        domain: 'ticket',
        mobile_id: mobile,
        server: ticketData({ status: 'CLOSED', comments: 'fixed' }),
        client: ticketData({ status: 'INPROGRESS', comments: 'fixed' }),
      },
      {
        key: 'task',
        domain: 'task',
        mobile_id: randomUUID(),
        server: { jobstatus: 'COMPLETED' },
        client: { jobstatus: 'ASSIGNED' },
      },
      {
        key: 'wo',
        domain: 'work_order',
        mobile_id: randomUUID(),
        server: { workstatus: 'CANCELLED' },
        client: { workstatus: 'INPROGRESS' },
      },
      {
        key: 'comment',
        domain: 'ticket',
        mobile_id: randomUUID(),
        server: ticketData({ status: 'INPROGRESS' }),
        client: ticketData({ status: 'RESOLVED', comments: '' }),
      },
      {
        key: 'fine',
        domain: 'ticket',
        mobile_id: randomUUID(),
        server: ticketData(),
        client: ticketData({ status: 'INPROGRESS' }),
      },
      {
        key: 'deleted',
        domain: 'ticket',
        mobile_id: randomUUID(),
        server: ticketData({ status: 'CLOSED' }),
        client: ticketData({ status: 'OPEN' }),
        deleted: true,
      },
    ];
    const verdicts = await shapes.checkInvariants(tenant.id, pairs);
    expect(verdicts.map((v) => [v.key, v.ok ? 'ok' : `${v.reason}:${'rule' in v ? v.rule : ''}`])).toEqual([
      ['reopen', 'INVALID_TRANSITION:not_allowed'],
      ['task', 'INVALID_TRANSITION:not_allowed'],
      ['wo', 'INVALID_TRANSITION:not_allowed'],
      ['comment', 'INVALID_TRANSITION:comment_required'],
      ['fine', 'ok'],
      ['deleted', 'ok'],
    ]);
    expect(verdicts[0]).toMatchObject({ from: 'CLOSED', to: 'INPROGRESS', field: 'status', domain: 'ticket' });

    for (const name of ['ticket_status', 'task_jobstatus', 'work_order_workstatus', 'ticket_closing_comment']) {
      await invariants.put(tenant.id, name, false, 'admin');
    }
    expect((await shapes.checkInvariants(tenant.id, pairs)).every((v) => v.ok)).toBe(true);
  });

  it('sends an attendance punch overlapping the same person’s stored shift to review, in one statement', async () => {
    const tenant = await t.createTenant();
    const night = pushItem({
      domain: 'attendance',
      data: attendance(4127, '2025-09-27T21:58:41+05:30', '2025-09-28T06:03:12+05:30'),
    });
    const colleague = pushItem({ domain: 'attendance', data: attendance(3301, '2025-09-28T05:00:00+05:30', null) });
    const broken = pushItem({ domain: 'attendance', data: { people: 4127, punchintime: '2025-09-28Tnonsense' } });
    const pushed = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'dev-1',
      body: { items: [night, colleague, broken] },
    });
    expect(pushed.body.results.map((r: { status: string }) => r.status)).toEqual(['applied', 'applied', 'applied']);

    const pair = (data: Record<string, unknown>, mobile_id: string = randomUUID()) => ({
      key: mobile_id,
      domain: 'attendance',
      mobile_id,
      server: null,
      client: data,
    });
    const overlapping = pair(attendance(4127, '2025-09-28T05:30:00+05:30', '2025-09-28T14:00:00+05:30'));
    const nextDay = pair(attendance(4127, '2025-09-28T14:00:00+05:30', '2025-09-28T22:00:00+05:30'));
    // the night shift itself, punched out later: the batch's copy counts, not the stored one
    const edit = pair(attendance(4127, '2025-09-27T21:58:41+05:30', '2025-09-28T06:30:00+05:30'), night.mobile_id);

    const counter = countStatements(t);
    let verdicts;
    try {
      verdicts = await shapes.checkInvariants(tenant.id, [overlapping, nextDay, edit]);
    } finally {
      counter.stop();
    }
    expect(counter.count()).toBeLessThanOrEqual(3); // the overlap read, plus the shapes of a cold cache
    expect(verdicts).toEqual([
      {
        key: overlapping.key,
        ok: false,
        reason: 'ATTENDANCE_OVERLAP',
        domain: 'attendance',
        overlaps: [night.mobile_id],
        message: expect.stringMatching(/person 4127/),
      },
      { key: nextDay.key, ok: true },
      {
        key: night.mobile_id,
        ok: false,
        reason: 'ATTENDANCE_OVERLAP',
        domain: 'attendance',
        overlaps: [overlapping.key],
        message: expect.any(String),
      },
    ]);

    await invariants.put(tenant.id, 'attendance_overlap', false, 'admin');
    expect((await shapes.checkInvariants(tenant.id, [overlapping, nextDay, edit])).every((v) => v.ok)).toBe(true);
  });
});
