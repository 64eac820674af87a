import { randomUUID } from 'node:crypto';
import { createRxDatabase, type RxCollection, type RxDatabase, type RxJsonSchema } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { memoryShadowStore, replicateFieldsync, type ShadowStore } from '../../clients/rxdb';
import type { Domain } from '../../clients/core';
import { startTestApp, TestApp, TestTenant } from '../helpers/test-app';
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

interface TaskDoc {
  mobile_id: string;
  version: number;
  jobdesc: string;
  jobstatus: string;
  remarks: string;
  asset: number;
  updated_at: string;
}

const schema: RxJsonSchema<TaskDoc> = {
  version: 0,
  primaryKey: 'mobile_id',
  type: 'object',
  properties: {
    mobile_id: { type: 'string', maxLength: 36 },
    version: { type: 'number' },
    jobdesc: { type: 'string' },
    jobstatus: { type: 'string' },
    remarks: { type: 'string' },
    asset: { type: 'number' },
    updated_at: { type: 'string' },
  },
  required: ['mobile_id', 'jobdesc', 'jobstatus'],
};

interface WorkOrderDoc {
  mobile_id: string;
  version: number;
  description: string;
  workstatus: string;
  people: string;
  bu: number;
  updated_at: string;
}

const workOrderSchema: RxJsonSchema<WorkOrderDoc> = {
  version: 0,
  primaryKey: 'mobile_id',
  type: 'object',
  properties: {
    mobile_id: { type: 'string', maxLength: 36 },
    version: { type: 'number' },
    description: { type: 'string' },
    workstatus: { type: 'string' },
    people: { type: 'string' },
    bu: { type: 'number' },
    updated_at: { type: 'string' },
  },
  required: ['mobile_id'],
};

interface Device<T = TaskDoc> {
  db: RxDatabase;
  tasks: RxCollection<T>;
  network: LossyNetwork;
  shadow: ShadowStore;
  sync(): Promise<void>;
}

describe('RxDB adapter: two devices of one user converge through the server', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let a: Device;
  let b: Device;
  const now = clock();
  const id = randomUUID();

  /** A device of the tenant's user on tasks, or of another user (its key) on another domain. */
  async function device<T = TaskDoc>(
    name: string,
    key = tenant.syncKey,
    domain: Domain = 'task',
    docSchema = schema as unknown as RxJsonSchema<T>,
  ): Promise<Device<T>> {
    const db = await createRxDatabase({
      name: `${name}-${randomUUID()}`,
      storage: getRxStorageMemory(),
      multiInstance: false,
    });
    const { tasks } = await db.addCollections<{ tasks: RxCollection<T> }>({ tasks: { schema: docSchema } });
    const network = lossyNetwork();
    const client = deviceClient(t.url, key, name, network);
    const shadow = memoryShadowStore();
    return {
      db,
      tasks,
      network,
      shadow,
      async sync() {
        // One run to quiescence (live: false); checkpoints and master states stay in the collection's meta.
        const state = replicateFieldsync<T>({
          collection: tasks,
          client,
          domain,
          shadow,
          live: false,
          retryTime: 100,
        });
        const errors: unknown[] = [];
        state.error$.subscribe((error) => errors.push(error));
        await state.awaitInitialReplication();
        await state.cancel();
        if (errors.some((error) => !String(error).includes('dropped'))) throw errors[0];
      },
    };
  }

  const local = async (d: Device) => (await d.tasks.findOne(id).exec())?.toJSON();
  const edit = async (d: Device, patch: Partial<TaskDoc>) =>
    (await d.tasks.findOne(id).exec())!.incrementalPatch({ ...patch, updated_at: now() });

  beforeAll(async () => {
    t = await startTestApp('clients-rxdb');
    tenant = await t.createTenant();
    a = await device('rx-a');
    b = await device('rx-b');
  });
  afterAll(async () => {
    await a?.db.close();
    await b?.db.close();
    await t?.close();
  });

  it('creates a record on one device and brings it to the other with its server version', async () => {
    await a.tasks.insert({
      mobile_id: id,
      version: 0,
      jobdesc: 'Fire extinguisher check - Floor 3 East',
      jobstatus: 'ASSIGNED',
      remarks: '',
      asset: 21877,
      updated_at: now(),
    });
    await a.sync();
    await b.sync();
    expect(await local(a)).toMatchObject({ version: 1 });
    expect(await local(b)).toMatchObject({ version: 1, jobstatus: 'ASSIGNED' });
  });

  it('keeps both offline edits of different fields (three-way merge)', async () => {
    await edit(a, { remarks: 'gauge low' });
    await edit(b, { asset: 99 });
    await a.sync();
    await b.sync();
    await a.sync();
    const server = await serverRecord(t, tenant.id, id);
    expect(server.data).toMatchObject({ remarks: 'gauge low', asset: 99 });
    for (const d of [a, b])
      expect(await local(d)).toMatchObject({ remarks: 'gauge low', asset: 99, version: server.version });
  });

  it('lets most_recent_wins decide the same field, whichever device pushes first', async () => {
    await edit(b, { jobstatus: 'STANDBY' }); // earlier edit, pushed last: loses
    await edit(a, { jobstatus: 'INPROGRESS' });
    await a.sync();
    await b.sync();
    await a.sync();
    expect((await serverRecord(t, tenant.id, id)).data.jobstatus).toBe('INPROGRESS');

    await edit(a, { remarks: 'older note' }); // earlier edit, pushed first: loses to the later one
    await edit(b, { remarks: 'newer note' });
    await a.sync();
    await b.sync();
    await a.sync();
    const server = await serverRecord(t, tenant.id, id);
    expect(server.data).toMatchObject({ jobstatus: 'INPROGRESS', remarks: 'newer note' });
    for (const d of [a, b])
      expect(await local(d)).toMatchObject({ jobstatus: 'INPROGRESS', remarks: 'newer note', version: server.version });
  });

  it('replays a push whose answer was lost and applies nothing twice', async () => {
    const before = await revisionCount(t, tenant.id, id);
    await edit(b, { remarks: 'sent once' });
    b.network.dropNextPushResponse();
    await b.sync();
    await a.sync();
    expect(await revisionCount(t, tenant.id, id)).toBe(before + 1);
    const [lost, retry] = b.network.pushAnswers.slice(-2);
    expect(retry.results[0]).toMatchObject({ replayed: true, client_mutation_id: lost.results[0].client_mutation_id });
    const server = await serverRecord(t, tenant.id, id);
    for (const d of [a, b]) expect(await local(d)).toMatchObject({ remarks: 'sent once', version: server.version });
  });

  it('deletes on the other device when one deletes, and all three end equal', async () => {
    await (await a.tasks.findOne(id).exec())!.remove();
    await a.sync();
    await b.sync();
    expect(await serverRecord(t, tenant.id, id)).toMatchObject({ deleted: true });
    expect(await local(a)).toBeUndefined();
    expect(await local(b)).toBeUndefined();
  });

  it('runs the replacement sync itself after a 410 and keeps the offline edit', async () => {
    const [kept, dropped] = [randomUUID(), randomUUID()];
    for (const mobileId of [kept, dropped]) {
      await a.tasks.insert({
        mobile_id: mobileId,
        version: 0,
        jobdesc: 'Pump check',
        jobstatus: 'ASSIGNED',
        remarks: '',
        asset: 7,
        updated_at: now(),
      });
    }
    await a.sync();
    await b.sync();
    const patch = async (d: Device, mobileId: string, values: Partial<TaskDoc>) =>
      (await d.tasks.findOne(mobileId).exec())!.incrementalPatch({ ...values, updated_at: now() });
    // a goes offline with an edit; b deletes one record and edits another field of the other.
    await patch(a, kept, { remarks: 'seal replaced' });
    await (await b.tasks.findOne(dropped).exec())!.remove();
    await patch(b, kept, { jobstatus: 'INPROGRESS' });
    await b.sync();
    // The purge passes both cursors: the tombstone a never saw is gone, the next pulls are 410s.
    await forcePurgeHorizon(t, tenant.id);
    await a.sync();
    await b.sync();
    expect(await a.tasks.findOne(dropped).exec()).toBeNull();
    const server = await serverRecord(t, tenant.id, kept);
    expect(server.data).toMatchObject({ remarks: 'seal replaced', jobstatus: 'INPROGRESS' });
    for (const d of [a, b]) {
      expect((await d.tasks.findOne(kept).exec())?.toJSON()).toMatchObject({ ...server.data, version: server.version });
    }
  });

  it('removes a work order reassigned away from a technician from that device only, and pushes no delete', async () => {
    const directory = await directoryTenant(t);
    const techA = await device('rx-tech-a', directory.techKeys['tech-a'], 'work_order', workOrderSchema);
    const techB = await device('rx-tech-b', directory.techKeys['tech-b'], 'work_order', workOrderSchema);
    const order = randomUUID();
    const find = async (d: Device<WorkOrderDoc>) => (await d.tasks.findOne(order).exec())?.toJSON();
    try {
      await dispatchWorkOrder(
        t,
        directory,
        order,
        {
          description: 'Chiller 2 quarterly PPM',
          workstatus: 'ASSIGNED',
          people: 'tech-a',
          bu: 58,
        },
        now(),
      );
      await techA.sync();
      await techB.sync();
      expect(await find(techA)).toMatchObject({ version: 1, people: 'tech-a' });
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
      await techA.sync(); // the local delete is the server's removal: never pushed back as a delete
      expect(techA.network.pushAnswers).toHaveLength(pushesBefore);
      expect(await serverRecord(t, directory.id, order)).toEqual(reassigned);

      await techB.sync();
      expect(await find(techB)).toMatchObject({ ...reassigned.data, version: 2, people: 'tech-b' });
      expect(await serverRecord(t, directory.id, order)).toEqual(reassigned);
    } finally {
      await techA.db.close();
      await techB.db.close();
    }
  });

  it('pulled later versions as RFC 6902 patches and asked for compression', () => {
    const pulled = [...a.network.pulledChanges, ...b.network.pulledChanges].filter((c) => c.mobile_id === id);
    expect(pulled.some((change) => Array.isArray(change.patch))).toBe(true);
    expect(a.network.acceptEncodings.every((value) => value.includes('gzip'))).toBe(true);
  });
});
