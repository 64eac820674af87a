import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createFieldsyncClient } from '../../clients/core';
import type { PushItem } from '../../clients/core';
import type { components } from '../../clients/generated/fieldsync-api';
import { startTestApp, TestApp, TestTenant } from '../helpers/test-app';

const root = resolve(__dirname, '../..');

describe('generated client (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('clients-typed');
    tenant = await t.createTenant();
  });
  afterAll(() => t?.close());

  it('is generated from the committed openapi.json (run `npm run clients:generate` after `npm run openapi`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldsync-client-'));
    try {
      const out = join(dir, 'fieldsync-api.ts');
      execFileSync(join(root, 'node_modules/.bin/openapi-typescript'), ['openapi.json', '-o', out], {
        cwd: root,
        stdio: 'pipe',
      });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(root, 'clients/generated/fieldsync-api.ts'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('pushes, pulls and reads the queue through typed calls', async () => {
    const client = createFieldsyncClient({ baseUrl: t.url, credential: tenant.syncKey, deviceId: 'typed-1' });
    const item: PushItem = {
      client_mutation_id: 'typed-1',
      domain: 'task',
      mobile_id: randomUUID(),
      base_version: 0,
      data: { jobstatus: 'ASSIGNED' },
      client_updated_at: new Date().toISOString(),
      deleted: false,
      priority: 'high',
    };
    const pushed = await client.POST('/api/v1/sync/push', {
      params: { header: { 'X-Device-Id': client.deviceId } },
      body: { items: [item], mode: 'process' },
    });
    expect(pushed.response.status).toBe(200);
    const result = pushed.data!.results[0];
    const status: 'applied' | 'resolved' | 'manual_required' | 'rejected' | 'queued' = result.status;
    expect(status).toBe('applied');
    const version: number | null = result.server_version;
    expect(version).toBe(1);

    const pulled = await client.GET('/api/v1/sync/pull', { params: { query: { limit: 10, domains: 'task' } } });
    const changes: Array<components['schemas']['ChangeDto'] | components['schemas']['RemovalDto']> =
      pulled.data!.changes;
    expect(changes.map((change) => change.mobile_id)).toContain(item.mobile_id);
    const cursor: string | null = pulled.data!.next_cursor;
    expect(typeof cursor).toBe('string');

    const queue = await client.GET('/api/v1/sync/queue-status');
    const healthy: boolean = queue.data!.queue_healthy;
    expect(healthy).toBe(true);

    const refused = await client.GET('/api/v1/sync/pull', { params: { query: { cursor: 'not-a-cursor' } } });
    expect(refused.response.status).toBe(400);
    const code: string = refused.error!.error.code;
    expect(code).toBe('VALIDATION_FAILED');
  });

  it('refuses wrong shapes at compile time', () => {
    const client = createFieldsyncClient({ baseUrl: t.url, credential: tenant.syncKey, deviceId: 'typed-2' });
    const probes = () => [
      // @ts-expect-error unknown path
      client.GET('/api/v1/sync/nowhere'),
      // @ts-expect-error a domain outside the enum
      client.POST('/api/v1/sync/push', { body: { items: [{ domain: 'invoice' }], mode: 'process' } }),
      // @ts-expect-error limit is a number
      client.GET('/api/v1/sync/pull', { params: { query: { limit: 'ten' } } }),
    ];
    expect(typeof probes).toBe('function');
  });
});
