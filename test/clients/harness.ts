import { createFieldsyncClient, type FieldsyncClient } from '../../clients/core';
import { call, type TestApp, type TestTenant } from '../helpers/test-app';

/** A fetch that records push answers and can lose the next one after the server has handled it. */
export interface LossyNetwork {
  fetch: (request: Request) => Promise<Response>;
  dropNextPushResponse(): void;
  pushAnswers: Array<{ results: Array<{ client_mutation_id: string; status: string; replayed?: boolean }> }>;
  /** Changes of every pull answer, to see which came as patches. */
  pulledChanges: Array<{ mobile_id: string; patch?: unknown[]; data?: unknown }>;
  /** Accept-Encoding of every request. */
  acceptEncodings: string[];
}

export function lossyNetwork(): LossyNetwork {
  let drop = false;
  const network: LossyNetwork = {
    pushAnswers: [],
    pulledChanges: [],
    acceptEncodings: [],
    dropNextPushResponse: () => {
      drop = true;
    },
    fetch: async (request) => {
      network.acceptEncodings.push(request.headers.get('accept-encoding') ?? '');
      const response = await fetch(request);
      if (new URL(request.url).pathname === '/api/v1/sync/pull' && response.ok) {
        const page = (await response.clone().json()) as { changes: LossyNetwork['pulledChanges'] };
        network.pulledChanges.push(...page.changes);
      }
      if (new URL(request.url).pathname === '/api/v1/sync/push' && response.ok) {
        network.pushAnswers.push((await response.clone().json()) as LossyNetwork['pushAnswers'][number]);
        if (drop) {
          drop = false;
          throw new TypeError('fetch failed: the test dropped the response');
        }
      }
      return response;
    },
  };
  return network;
}

export function deviceClient(baseUrl: string, key: string, deviceId: string, network: LossyNetwork): FieldsyncClient {
  return createFieldsyncClient({ baseUrl, credential: key, deviceId, fetch: network.fetch });
}

export interface ServerRecord {
  version: number;
  deleted: boolean;
  data: Record<string, unknown>;
}

export async function serverRecord(t: TestApp, tenantId: string, mobileId: string): Promise<ServerRecord> {
  const rows = await t.db.query(
    'SELECT version, deleted, data FROM sync_record WHERE tenant_id = $1 AND mobile_id = $2',
    [tenantId, mobileId],
  );
  return rows[0];
}

export async function revisionCount(t: TestApp, tenantId: string, mobileId: string): Promise<number> {
  const rows = await t.db.query(
    'SELECT count(*)::int AS n FROM sync_record_revision WHERE tenant_id = $1 AND mobile_id = $2',
    [tenantId, mobileId],
  );
  return rows[0].n;
}

/**
 * What the daily purge does to a device that stayed away too long, at once: the tenant's tombstones are gone and
 * the horizon stands at the newest change, so every cursor taken before is below it (a 410 RESYNC_REQUIRED).
 */
export async function forcePurgeHorizon(t: TestApp, tenantId: string): Promise<void> {
  await t.db.query(
    `INSERT INTO sync_purge_horizon (tenant_id, horizon, purged_at)
     SELECT $1, max(change_seq), now() FROM sync_record WHERE tenant_id = $1
     ON CONFLICT ON CONSTRAINT pk_sync_purge_horizon DO UPDATE SET horizon = EXCLUDED.horizon, purged_at = now()`,
    [tenantId],
  );
  await t.db.query('DELETE FROM sync_record WHERE tenant_id = $1 AND deleted', [tenantId]);
}

/** Edit times in order (the server compares them for most_recent_wins) and close to the server's clock. */
export function clock(): () => string {
  let last = Date.now() - 60_000;
  return () => {
    last = Math.max(last + 1000, Date.now() - 30_000);
    return new Date(last).toISOString();
  };
}

/**
 * A tenant with a directory (SCOPES.md): two technicians of site 58 with their own sync keys. A work order reaches
 * a technician through its assignee (`people`), which only a supervisor or an admin may change.
 */
export async function directoryTenant(t: TestApp): Promise<TestTenant & { techKeys: Record<string, string> }> {
  const tenant = await t.createTenant();
  const techKeys: Record<string, string> = {};
  for (const user of ['tech-a', 'tech-b']) {
    techKeys[user] = await tenant.syncKeyFor(user);
    const answer = await call(t, 'PUT', `/api/v1/users/${user}`, {
      key: tenant.adminKey,
      body: { memberships: [{ group: 'site:58', role: 'member' }] },
    });
    expect(answer.status).toBe(200);
  }
  return { ...tenant, techKeys };
}

/** The dispatcher (admin credential) writes a work order on top of the server's current version. */
export async function dispatchWorkOrder(
  t: TestApp,
  tenant: TestTenant,
  mobileId: string,
  data: Record<string, unknown>,
  at: string,
): Promise<ServerRecord> {
  const current = await serverRecord(t, tenant.id, mobileId);
  const answer = await call(t, 'POST', '/api/v1/sync/push', {
    key: tenant.adminKey,
    device: 'dispatch-console',
    body: {
      items: [
        {
          client_mutation_id: `dispatch-${mobileId}-${current?.version ?? 0}`,
          domain: 'work_order',
          mobile_id: mobileId,
          base_version: current?.version ?? 0,
          data: { ...current?.data, ...data },
          client_updated_at: at,
        },
      ],
    },
  });
  expect(answer.body.results[0]).toMatchObject({ status: 'applied' });
  return serverRecord(t, tenant.id, mobileId);
}
