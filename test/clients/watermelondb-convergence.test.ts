import { randomUUID } from 'node:crypto';
import { appSchema, Database, Model, tableSchema } from '@nozbe/watermelondb';
import LokiJSAdapter from '@nozbe/watermelondb/adapters/lokijs';
import logger from '@nozbe/watermelondb/utils/common/logger';
import { fieldsyncWatermelon } from '../../clients/watermelondb';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import {
  clock,
  deviceClient,
  directoryTenant,
  dispatchWorkOrder,
  forcePurgeHorizon,
  lossyNetwork,
  LossyNetwork,
  revisionCount,
  serverRecord,
} from './harness';

class Ticket extends Model {
  static override table = 'tickets';
}

class WorkOrder extends Model {
  static override table = 'work_orders';
}

const schema = appSchema({
  version: 1,
  tables: [
    tableSchema({
      name: 'tickets',
      columns: [
        { name: 'ticketdesc', type: 'string', isOptional: true },
        { name: 'status', type: 'string', isOptional: true },
        { name: 'comments', type: 'string', isOptional: true },
        { name: 'assignedtopeople', type: 'number', isOptional: true },
        { name: 'escalation_level', type: 'number', isOptional: true },
        { name: 'tags', type: 'string', isOptional: true },
        { name: 'updated_at', type: 'number' },
      ],
    }),
    tableSchema({
      name: 'work_orders',
      columns: [
        { name: 'description', type: 'string', isOptional: true },
        { name: 'workstatus', type: 'string', isOptional: true },
        { name: 'people', type: 'string', isOptional: true },
        { name: 'bu', type: 'number', isOptional: true },
        { name: 'updated_at', type: 'number' },
      ],
    }),
  ],
});

interface Device {
  database: Database;
  network: LossyNetwork;
  rejected: string[];
  sync(): Promise<void>;
  /** A new adapter on the same database, as after an app restart. */
  restart(): void;
}

type Raw = Record<string, unknown>;

describe('WatermelonDB adapter: two devices of one user converge through the server', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let a: Device;
  let b: Device;
  const now = clock();
  const id = randomUUID();

  function device(name: string, key = tenant.syncKey): Device {
    const adapter = new LokiJSAdapter({
      schema,
      dbName: `${name}-${randomUUID()}`,
      useWebWorker: false,
      useIncrementalIndexedDB: false,
      // In memory here: Loki's autosave timer would keep Jest from exiting.
      extraLokiOptions: { autosave: false },
    });
    const database = new Database({ adapter, modelClasses: [Ticket, WorkOrder] });
    const network = lossyNetwork();
    const rejected: string[] = [];
    const open = () =>
      fieldsyncWatermelon({
        database,
        client: deviceClient(t.url, key, name, network),
        tables: { tickets: 'ticket', work_orders: 'work_order' },
        jsonColumns: { tickets: ['tags'] },
        onRejected: (result) => rejected.push(result.mobile_id),
      });
    let adapterSync = open();
    return {
      database,
      network,
      rejected,
      sync: () => adapterSync.sync(),
      restart: () => {
        adapterSync = open();
      },
    };
  }

  const local = async (d: Device, recordId = id, table = 'tickets'): Promise<Raw | undefined> => {
    try {
      return { ...(await d.database.get(table).find(recordId))._raw };
    } catch {
      return undefined;
    }
  };
  const edit = (d: Device, values: Raw, recordId = id) =>
    d.database.write(async () => {
      const record = await d.database.get<Ticket>('tickets').find(recordId);
      await record.update((r) => {
        for (const [key, value] of Object.entries({ ...values, updated_at: Date.parse(now()) })) r._setRaw(key, value);
      });
    });
  const create = (d: Device, recordId: string, values: Raw) =>
    d.database.write(async () => {
      await d.database.get<Ticket>('tickets').create((r) => {
        r._raw.id = recordId;
        for (const [key, value] of Object.entries({ ...values, updated_at: Date.parse(now()) })) r._setRaw(key, value);
      });
    });
  /** The escalation job writes a new version while the devices are offline (a third writer, through the API). */
  const escalate = async (level: number) => {
    const current = await serverRecord(t, tenant.id, id);
    // Escalation fields are supervisor-only: the job runs with the admin credential.
    const answer = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.adminKey,
      device: 'escalation-job',
      body: {
        items: [
          {
            client_mutation_id: `escalate-${level}`,
            domain: 'ticket',
            mobile_id: id,
            base_version: current.version,
            data: { ...current.data, status: 'INPROGRESS', escalation_level: level },
            client_updated_at: now(),
          },
        ],
      },
    });
    expect(answer.body.results[0]).toMatchObject({ status: 'applied' });
  };

  beforeAll(async () => {
    logger.silence();
    t = await startTestApp('clients-watermelon');
    tenant = await t.createTenant();
    a = device('wm-a');
    b = device('wm-b');
  });
  afterAll(() => t?.close());

  it('creates a record on one device and brings it to the other', async () => {
    await create(a, id, {
      ticketdesc: 'Water leaking from ceiling near Level 4 pantry.',
      status: 'OPEN',
      comments: '',
      assignedtopeople: 3301,
      tags: JSON.stringify(['plumbing']),
    });
    await a.sync();
    await b.sync();
    expect(await local(a)).toMatchObject({ _status: 'synced' });
    expect(await local(b)).toMatchObject({ status: 'OPEN', _status: 'synced', tags: '["plumbing"]' });
    expect((await serverRecord(t, tenant.id, id)).data).toMatchObject({ tags: ['plumbing'], status: 'OPEN' });
  });

  it('keeps both offline edits of different fields (three-way merge)', async () => {
    await edit(a, { comments: 'Plumber on site' });
    // assignment is supervisor-only under the default sync rules: the technician's second phone edits the description
    await edit(b, { ticketdesc: 'Leak traced to the Level 5 riser.' });
    await a.sync();
    await b.sync();
    await a.sync();
    const server = await serverRecord(t, tenant.id, id);
    expect(server.data).toMatchObject({ comments: 'Plumber on site', ticketdesc: 'Leak traced to the Level 5 riser.' });
    for (const d of [a, b])
      expect(await local(d)).toMatchObject({
        comments: 'Plumber on site',
        ticketdesc: 'Leak traced to the Level 5 riser.',
      });
  });

  it('keeps the server escalation over an offline status change (preserve_escalation), other fields merged', async () => {
    await edit(a, { status: 'ONHOLD', comments: 'Waiting for the valve' });
    await escalate(2);
    await a.sync();
    await b.sync();
    await a.sync();
    const server = await serverRecord(t, tenant.id, id);
    expect(server.data).toMatchObject({ status: 'INPROGRESS', escalation_level: 2, comments: 'Waiting for the valve' });
    for (const d of [a, b])
      expect(await local(d)).toMatchObject({
        status: 'INPROGRESS',
        escalation_level: 2,
        comments: 'Waiting for the valve',
        _status: 'synced',
      });
  });

  it('replays a push whose answer was lost and applies nothing twice', async () => {
    const before = await revisionCount(t, tenant.id, id);
    await edit(b, { comments: 'Sent once' });
    b.network.dropNextPushResponse();
    await expect(b.sync()).rejects.toThrow(/dropped/);
    await b.sync();
    await a.sync();
    expect(await revisionCount(t, tenant.id, id)).toBe(before + 1);
    const [lost, retry] = b.network.pushAnswers.slice(-2);
    expect(retry.results[0]).toMatchObject({ replayed: true, client_mutation_id: lost.results[0].client_mutation_id });
    for (const d of [a, b]) expect(await local(d)).toMatchObject({ comments: 'Sent once', _status: 'synced' });
  });

  it('keeps a rejected edit unsynced (experimentalRejectedIds)', async () => {
    const other = randomUUID();
    await create(a, other, { ticketdesc: 'Lift 3 grinding again, needs check.', status: 'NEW' });
    await a.sync();
    // The device believes in a version the server never wrote: VERSION_AHEAD.
    const shadow = (await a.database.localStorage.get<Record<string, { version: number }>>('fieldsync:shadow'))!;
    shadow[other].version = 7;
    await a.database.localStorage.set('fieldsync:shadow', shadow);
    a.restart();
    await edit(a, { comments: 'ahead' }, other);
    await a.sync();
    expect(a.rejected).toContain(other);
    expect(await local(a, other)).toMatchObject({ _status: 'updated', comments: 'ahead' });
    expect((await serverRecord(t, tenant.id, other)).version).toBe(1);
  });

  it('deletes on the other device when one deletes, and all three end equal', async () => {
    await a.database.write(async () => (await a.database.get<Ticket>('tickets').find(id)).markAsDeleted());
    await a.sync();
    await b.sync();
    expect(await serverRecord(t, tenant.id, id)).toMatchObject({ deleted: true });
    expect(await local(a)).toBeUndefined();
    expect(await local(b)).toBeUndefined();
    expect(await a.database.adapter.getDeletedRecords('tickets')).toEqual([]);
  });

  it('runs the replacement sync itself after a 410 and keeps the offline edit', async () => {
    const kept = randomUUID();
    const dropped = randomUUID();
    await create(a, kept, { ticketdesc: 'Lift 2 noisy', status: 'OPEN', comments: '' });
    await create(a, dropped, { ticketdesc: 'Duplicate ticket', status: 'OPEN', comments: '' });
    await a.sync();
    await b.sync();
    // a goes offline with an edit; b deletes one record and edits another field of the other.
    await edit(a, { comments: 'Bearing replaced' }, kept);
    await b.database.write(async () => (await b.database.get<Ticket>('tickets').find(dropped)).markAsDeleted());
    await edit(b, { status: 'INPROGRESS' }, kept);
    await b.sync();
    await b.sync();
    // The purge passes a's cursor: the tombstone a never saw is gone, a's next pull is a 410.
    await forcePurgeHorizon(t, tenant.id);
    await a.sync();
    await b.sync();
    expect(await local(a, dropped)).toBeUndefined();
    const server = await serverRecord(t, tenant.id, kept);
    expect(server.data).toMatchObject({ comments: 'Bearing replaced', status: 'INPROGRESS' });
    for (const d of [a, b]) expect(await local(d, kept)).toMatchObject({ ...server.data, _status: 'synced' });
  });

  it('removes a work order reassigned away from a technician from that device only, and pushes no delete', async () => {
    const directory = await directoryTenant(t);
    const techA = device('wm-tech-a', directory.techKeys['tech-a']);
    const techB = device('wm-tech-b', directory.techKeys['tech-b']);
    const order = randomUUID();
    const find = (d: Device) => local(d, order, 'work_orders');
    await dispatchWorkOrder(
      t,
      directory,
      order,
      { description: 'Chiller 2 quarterly PPM', workstatus: 'ASSIGNED', people: 'tech-a', bu: 58 },
      now(),
    );
    await techA.sync();
    await techB.sync();
    expect(await find(techA)).toMatchObject({ people: 'tech-a', _status: 'synced' });
    expect(await find(techB)).toBeUndefined();

    // Assignment is supervisor-only: the dispatcher reassigns with the admin credential.
    const reassigned = await dispatchWorkOrder(
      t,
      directory,
      order,
      { people: 'tech-b', workstatus: 'RE_ASSIGNED' },
      now(),
    );
    expect(reassigned).toMatchObject({ version: 2, deleted: false });
    const pushesBefore = techA.network.pushAnswers.length;
    await techA.sync();
    expect(techA.network.pulledChanges.filter((c) => c.mobile_id === order).at(-1)).toMatchObject({
      removed: true,
      reason: 'reassigned',
    });
    expect(await find(techA)).toBeUndefined();
    // The local delete is the server's removal: nothing waits to be pushed, and nothing is.
    expect(await techA.database.adapter.getDeletedRecords('work_orders')).toEqual([]);
    await techA.sync();
    expect(techA.network.pushAnswers).toHaveLength(pushesBefore);
    expect(await serverRecord(t, directory.id, order)).toEqual(reassigned);

    await techB.sync();
    expect(await find(techB)).toMatchObject({ ...reassigned.data, _status: 'synced' });
    expect(await serverRecord(t, directory.id, order)).toEqual(reassigned);
  });
});
