import { randomUUID } from 'node:crypto';
import { createRxDatabase, type RxCollection, type RxDatabase, type RxJsonSchema } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createFieldsyncClient, replicateFieldsync } from '../../clients/rxdb';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

interface TaskDoc {
  mobile_id: string;
  version: number;
  jobstatus: string;
  updated_at: string;
}

const schema: RxJsonSchema<TaskDoc> = {
  version: 0,
  primaryKey: 'mobile_id',
  type: 'object',
  properties: {
    mobile_id: { type: 'string', maxLength: 36 },
    version: { type: 'number' },
    jobstatus: { type: 'string' },
    updated_at: { type: 'string' },
  },
  required: ['mobile_id', 'jobstatus'],
};

describe('RxDB adapter: the change stream as pull.stream$', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let db: RxDatabase;

  beforeAll(async () => {
    t = await startTestApp('clients-live', { STREAM_RETRY_MS: 200 });
    tenant = await t.createTenant();
    db = await createRxDatabase({ name: `live-${randomUUID()}`, storage: getRxStorageMemory(), multiInstance: false });
  });
  afterAll(async () => {
    await db?.close();
    await t?.close();
  });

  it('receives a change pushed by another device without a reSync()', async () => {
    const { tasks } = await db.addCollections({ tasks: { schema } });
    const collection = tasks as RxCollection<TaskDoc>;
    const client = createFieldsyncClient({ baseUrl: t.url, credential: tenant.syncKey, deviceId: 'rx-live' });
    const state = replicateFieldsync<TaskDoc>({ collection, client, domain: 'task', retryTime: 200 });
    await state.awaitInitialReplication();
    const id = randomUUID();
    const pushed = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'other-phone',
      body: {
        items: [
          {
            client_mutation_id: 'live-1',
            domain: 'task',
            mobile_id: id,
            base_version: 0,
            data: { jobstatus: 'ASSIGNED', updated_at: new Date().toISOString() },
          },
        ],
      },
    });
    expect(pushed.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let doc = await collection.findOne(id).exec();
    while (!doc && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
      doc = await collection.findOne(id).exec();
    }
    expect(doc?.toJSON()).toMatchObject({ mobile_id: id, version: 1, jobstatus: 'ASSIGNED' });
    await state.cancel();
  }, 30_000);
});
