import { randomUUID } from 'node:crypto';
import { pushItem, taskData, ticketData } from '../factories/records';
import { call, TestApp, TestTenant } from '../helpers/test-app';

/**
 * Every endpoint of the app, derived from the controllers (src/modules/*\/*.controller.ts). endpoints.test.ts fails
 * when the OpenAPI document lists a route that is missing here, so a new endpoint must be added before the fuzz and
 * security matrices can pass.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `sync`: sync or admin credential; `admin`: admin only; `public`: no credential. */
export type Access = 'public' | 'sync' | 'admin';

/** Ids that belong to one tenant; another tenant's credential must get 404 and none of its data. */
export type OwnedId = 'conflict' | 'manualConflict' | 'restorableConflict' | 'apiKey' | 'device';

/** What a fuzzed field must hold; every generated value for it is invalid for that kind. */
export type FieldKind =
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'string'; min: number; max: number }
  | { kind: 'uuid' }
  | { kind: 'timestamp' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'object' }
  | { kind: 'array' }
  | { kind: 'domains' }
  | { kind: 'cursor' }
  | { kind: 'url' };

export interface Endpoint {
  method: Method;
  /** OpenAPI path template, e.g. /api/v1/conflicts/{id}. */
  path: string;
  access: Access;
  /** Sync-scope calls carry X-Device-Id. */
  device?: boolean;
  /** A valid body for tenant `f`; the fuzzer mutates one field of it at a time. */
  body?: (f: Fixture) => Record<string, unknown>;
  /** A valid query. */
  query?: (f: Fixture) => Record<string, string>;
  /** Path parameters: a tenant-owned id, or a fixed value. */
  params?: Record<string, OwnedId | { value: string; kind: FieldKind }>;
  /** Tenant-owned ids in the query (device-health). */
  ownedQuery?: Record<string, OwnedId>;
  /** Body fields (dotted paths into body(), `[0]` for array elements) and what they must hold. */
  bodyFields?: Record<string, FieldKind>;
  /** Objects of the body that reject unknown properties (dotted paths, '' for the root). */
  closedObjects?: string[];
  queryFields?: Record<string, FieldKind>;
  /** Served but not part of the OpenAPI document. */
  undocumented?: true;
  /** Changes data when called with the valid example (the security matrix checks it did not happen). */
  mutates?: true;
  /** A stream that stays open with a valid credential: only its refusals are exercised. */
  stream?: true;
}

export interface Fixture {
  tenant: TestTenant;
  deviceId: string;
  userId: string;
  /** A resolved (automatic) push conflict, restorable. */
  restorableConflictId: string;
  /** A manual_required conflict, resolvable. */
  manualConflictId: string;
  apiKeyId: string;
  mobileIds: string[];
  /** A string in the tenant's record data, to look for in other tenants' responses. */
  marker: string;
}

const DOMAINS = ['journal', 'attendance', 'task', 'ticket', 'work_order'] as const;
const PRIORITIES = ['high', 'medium', 'low'] as const;
const NETWORK = ['excellent', 'good', 'fair', 'poor'] as const;
const INT32 = 2147483646;
/** Version 1 of a task schema: what the fixture stores, so the PUT example is the idempotent retry of it. */
const TASK_SCHEMA_V1 = { version: 1, json_schema: { type: 'object', properties: { jobstatus: { type: 'string' } } } };

export const ENDPOINTS: Endpoint[] = [
  // operations
  { method: 'GET', path: '/health/live', access: 'public' },
  { method: 'GET', path: '/health/ready', access: 'public' },
  { method: 'GET', path: '/metrics', access: 'public' },
  { method: 'GET', path: '/docs-json', access: 'public', undocumented: true },
  { method: 'GET', path: '/docs', access: 'public', undocumented: true },

  // tenant
  { method: 'GET', path: '/api/v1/tenant', access: 'admin' },
  {
    method: 'PATCH',
    path: '/api/v1/tenant',
    access: 'admin',
    mutates: true,
    body: () => ({ name: 'Acme field ops', timezone: 'Asia/Kolkata' }),
    bodyFields: {
      name: { kind: 'string', min: 1, max: 200 },
      timezone: { kind: 'string', min: 1, max: 64 },
      webhook_url: { kind: 'url' },
      webhook_secret: { kind: 'string', min: 16, max: 200 },
    },
    closedObjects: [''],
  },
  { method: 'GET', path: '/api/v1/api-keys', access: 'admin' },
  {
    method: 'POST',
    path: '/api/v1/api-keys',
    access: 'admin',
    mutates: true,
    body: () => ({ name: 'tablet', scopes: ['sync'], user_id: 'user-9' }),
    bodyFields: {
      name: { kind: 'string', min: 1, max: 200 },
      scopes: { kind: 'array' },
      'scopes[0]': { kind: 'enum', values: ['sync', 'admin'] },
      user_id: { kind: 'string', min: 1, max: 128 },
    },
    closedObjects: [''],
  },
  {
    method: 'DELETE',
    path: '/api/v1/api-keys/{id}',
    access: 'admin',
    mutates: true,
    params: { id: 'apiKey' },
  },

  // bandwidth tools
  {
    method: 'POST',
    path: '/api/v1/bandwidth/compress',
    access: 'sync',
    body: () => ({ data: { items: [taskData()] }, compression_level: 'always' }),
    bodyFields: { compression_level: { kind: 'enum', values: ['adaptive', 'always', 'never'] } },
    closedObjects: [''],
  },
  {
    method: 'POST',
    path: '/api/v1/bandwidth/delta',
    access: 'sync',
    body: () => ({ server_version: ticketData(), client_version: ticketData({ status: 'CLOSED' }) }),
    bodyFields: { server_version: { kind: 'object' }, client_version: { kind: 'object' } },
    closedObjects: [''],
  },
  {
    method: 'POST',
    path: '/api/v1/bandwidth/batches',
    access: 'sync',
    body: () => ({ items: [{ id: 1 }, { id: 2 }], network_quality: 'good', rtt_ms: 120, throughput_kbps: 2000 }),
    bodyFields: {
      items: { kind: 'array' },
      network_quality: { kind: 'string', min: 1, max: 32 },
      rtt_ms: { kind: 'number', min: Number.MIN_VALUE, max: 600000 },
      throughput_kbps: { kind: 'number', min: Number.MIN_VALUE, max: 100000000 },
    },
    closedObjects: [''],
  },
  {
    method: 'POST',
    path: '/api/v1/bandwidth/prioritize',
    access: 'sync',
    body: () => ({
      items: [
        { id: 1, priority: 'low' },
        { id: 2, priority: 'high' },
      ],
      priority_field: 'priority',
    }),
    bodyFields: {
      items: { kind: 'array' },
      'items[0]': { kind: 'object' },
      priority_field: { kind: 'string', min: 1, max: 64 },
    },
    closedObjects: [''],
  },

  // sync: pull
  {
    method: 'GET',
    path: '/api/v1/sync/pull',
    access: 'sync',
    device: true,
    query: () => ({ limit: '50', domains: 'task,ticket', network_quality: 'good' }),
    queryFields: {
      limit: { kind: 'int', min: 1, max: 1000 },
      domains: { kind: 'domains' },
      network_quality: { kind: 'enum', values: NETWORK },
      cursor: { kind: 'cursor' },
    },
  },
  {
    method: 'POST',
    path: '/api/v1/sync/pull',
    access: 'sync',
    device: true,
    body: (f) => ({ limit: 50, domains: 'task', known_versions: { [f.mobileIds[0]]: 1 }, delta: true }),
    bodyFields: {
      limit: { kind: 'int', min: 1, max: 1000 },
      domains: { kind: 'domains' },
      network_quality: { kind: 'enum', values: NETWORK },
      cursor: { kind: 'cursor' },
      known_versions: { kind: 'object' },
      delta: { kind: 'bool' },
    },
    closedObjects: [''],
  },

  // conflicts and policies
  { method: 'GET', path: '/api/v1/conflict-policies', access: 'admin' },
  {
    method: 'PUT',
    path: '/api/v1/conflict-policies/{domain}',
    access: 'admin',
    mutates: true,
    params: { domain: { value: 'ticket', kind: { kind: 'enum', values: DOMAINS } } },
    body: () => ({ resolution_policy: 'client_wins', auto_resolve: true, notify_on_conflict: false }),
    bodyFields: {
      resolution_policy: {
        kind: 'enum',
        values: ['client_wins', 'server_wins', 'most_recent_wins', 'preserve_escalation', 'manual'],
      },
      auto_resolve: { kind: 'bool' },
      notify_on_conflict: { kind: 'bool' },
      protected_fields: { kind: 'array' },
    },
    closedObjects: [''],
  },
  {
    method: 'DELETE',
    path: '/api/v1/conflict-policies/{domain}',
    access: 'admin',
    mutates: true,
    params: { domain: { value: 'ticket', kind: { kind: 'enum', values: DOMAINS } } },
  },
  {
    method: 'GET',
    path: '/api/v1/conflicts/hotspots',
    access: 'admin',
    query: () => ({ days: '7' }),
    queryFields: { days: { kind: 'int', min: 1, max: 365 } },
  },
  {
    method: 'GET',
    path: '/api/v1/conflicts/report',
    access: 'admin',
    query: () => ({ days: '7' }),
    queryFields: { days: { kind: 'int', min: 1, max: 365 } },
  },
  {
    method: 'POST',
    path: '/api/v1/conflicts/resolve',
    access: 'sync',
    device: true,
    mutates: true,
    body: () => ({
      domain: 'ticket',
      server_entry: ticketData({ status: 'ESCALATED' }),
      client_entry: ticketData({ comments: 'fixed' }),
      base_entry: ticketData(),
    }),
    bodyFields: {
      domain: { kind: 'string', min: 1, max: 64 },
      server_entry: { kind: 'object' },
      client_entry: { kind: 'object' },
      base_entry: { kind: 'object' },
    },
    closedObjects: [''],
  },
  {
    method: 'GET',
    path: '/api/v1/conflicts',
    access: 'admin',
    query: () => ({ domain: 'task', limit: '20' }),
    queryFields: {
      domain: { kind: 'string', min: 1, max: 64 },
      result: { kind: 'enum', values: ['resolved', 'manual_required', 'failed'] },
      since: { kind: 'timestamp' },
      cursor: { kind: 'cursor' },
      limit: { kind: 'int', min: 1, max: 200 },
    },
  },
  { method: 'GET', path: '/api/v1/conflicts/{id}', access: 'admin', params: { id: 'restorableConflict' } },
  {
    method: 'POST',
    path: '/api/v1/conflicts/{id}/resolve',
    access: 'admin',
    mutates: true,
    params: { id: 'manualConflict' },
    body: () => ({ choose: 'merged', merged_entry: taskData({ jobstatus: 'COMPLETED' }) }),
    bodyFields: { choose: { kind: 'enum', values: ['client', 'server', 'merged'] }, merged_entry: { kind: 'object' } },
    closedObjects: [''],
  },
  {
    method: 'POST',
    path: '/api/v1/conflicts/{id}/restore',
    access: 'admin',
    mutates: true,
    params: { id: 'restorableConflict' },
  },

  // sync: queue
  {
    method: 'POST',
    path: '/api/v1/sync/push',
    access: 'sync',
    device: true,
    mutates: true,
    body: () => ({
      items: [pushItem({ mobile_id: randomUUID(), priority: 'high' })],
      device_info: {
        network_type: '4g',
        app_version: '5.2.0',
        os_version: 'Android 14',
        device_time: '2025-09-28T09:05:00Z',
      },
      mode: 'process',
    }),
    bodyFields: {
      items: { kind: 'array' },
      'items[0]': { kind: 'object' },
      'items[0].client_mutation_id': { kind: 'string', min: 1, max: 128 },
      'items[0].domain': { kind: 'enum', values: DOMAINS },
      'items[0].mobile_id': { kind: 'uuid' },
      'items[0].base_version': { kind: 'int', min: 0, max: INT32 },
      'items[0].data': { kind: 'object' },
      'items[0].client_updated_at': { kind: 'timestamp' },
      'items[0].deleted': { kind: 'bool' },
      'items[0].priority': { kind: 'enum', values: PRIORITIES },
      device_info: { kind: 'object' },
      'device_info.network_type': { kind: 'string', min: 0, max: 32 },
      'device_info.app_version': { kind: 'string', min: 0, max: 64 },
      'device_info.device_time': { kind: 'timestamp' },
      mode: { kind: 'enum', values: ['process', 'enqueue'] },
    },
    closedObjects: ['', 'items[0]', 'device_info'],
  },
  { method: 'GET', path: '/api/v1/sync/queue-status', access: 'sync', device: true },
  {
    method: 'POST',
    path: '/api/v1/sync/partial',
    access: 'sync',
    device: true,
    mutates: true,
    body: () => ({ priority: 'high', max_items: 10, network_quality: 'good' }),
    bodyFields: {
      priority: { kind: 'enum', values: PRIORITIES },
      max_items: { kind: 'int', min: 1, max: 1000 },
      network_quality: { kind: 'enum', values: NETWORK },
    },
    closedObjects: [''],
  },
  { method: 'GET', path: '/api/v1/sync/optimal-time', access: 'sync', device: true },

  // analytics
  { method: 'GET', path: '/api/sync/dashboard', access: 'admin' },
  {
    method: 'POST',
    path: '/api/sync/snapshot/create',
    access: 'admin',
    mutates: true,
    body: () => ({ time_window_hours: 24 }),
    bodyFields: { time_window_hours: { kind: 'int', min: 1, max: 720 } },
    closedObjects: [''],
  },
  {
    method: 'GET',
    path: '/api/sync/device-health',
    access: 'sync',
    query: (f) => ({ device_id: f.deviceId }),
    ownedQuery: { device_id: 'device' },
    queryFields: { device_id: { kind: 'string', min: 1, max: 128 } },
  },
  {
    method: 'GET',
    path: '/api/v1/analytics/snapshots',
    access: 'admin',
    query: () => ({ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }),
    queryFields: { from: { kind: 'timestamp' }, to: { kind: 'timestamp' } },
  },
  {
    method: 'GET',
    path: '/api/v1/analytics/devices',
    access: 'admin',
    query: () => ({ max_health: '100', limit: '50' }),
    queryFields: {
      max_health: { kind: 'number', min: 0, max: 100 },
      limit: { kind: 'int', min: 1, max: 500 },
      cursor: { kind: 'string', min: 0, max: 400 },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/analytics/alerts',
    access: 'admin',
    query: () => ({ status: 'open' }),
    queryFields: { status: { kind: 'enum', values: ['open', 'resolved'] } },
  },
  // sync: live changes, replacement sync, device positions
  { method: 'GET', path: '/api/v1/sync/changes/stream', access: 'sync', stream: true },
  { method: 'GET', path: '/api/v1/sync/snapshot', access: 'sync', device: true, query: () => ({ limit: '50' }) },
  { method: 'GET', path: '/api/v1/sync/devices', access: 'admin', query: () => ({ limit: '50' }) },

  // directory and sync rules
  {
    method: 'GET',
    path: '/api/v1/users',
    access: 'admin',
    query: () => ({ limit: '20' }),
    queryFields: { limit: { kind: 'int', min: 1, max: 500 }, cursor: { kind: 'cursor' } },
  },
  {
    method: 'GET',
    path: '/api/v1/users/{user_id}',
    access: 'admin',
    params: { user_id: { value: 'user-1', kind: { kind: 'string', min: 1, max: 128 } } },
  },
  {
    method: 'PUT',
    path: '/api/v1/users/{user_id}',
    access: 'admin',
    mutates: true,
    params: { user_id: { value: 'user-1', kind: { kind: 'string', min: 1, max: 128 } } },
    body: () => ({ display_name: 'Technician One', memberships: [{ group: 'site:58', role: 'member' }], active: true }),
    bodyFields: {
      display_name: { kind: 'string', min: 1, max: 200 },
      memberships: { kind: 'array' },
      'memberships[0]': { kind: 'object' },
      'memberships[0].role': { kind: 'enum', values: ['member', 'supervisor'] },
      active: { kind: 'bool' },
    },
    closedObjects: ['', 'memberships[0]'],
  },
  { method: 'GET', path: '/api/v1/sync-rules', access: 'admin' },
  {
    method: 'PUT',
    path: '/api/v1/sync-rules',
    access: 'admin',
    mutates: true,
    body: () => ({ rules: {} }),
    bodyFields: { rules: { kind: 'object' } },
    closedObjects: [''],
  },
  { method: 'DELETE', path: '/api/v1/sync-rules', access: 'admin', mutates: true },
  {
    method: 'GET',
    path: '/api/v1/sync-rules/explain',
    access: 'admin',
    query: (f) => ({ user_id: f.userId, domain: 'task', mobile_id: f.mobileIds[0] }),
    queryFields: {
      user_id: { kind: 'string', min: 1, max: 128 },
      domain: { kind: 'enum', values: DOMAINS },
      mobile_id: { kind: 'uuid' },
    },
  },

  // record shapes and invariants
  { method: 'GET', path: '/api/v1/schemas', access: 'admin' },
  {
    method: 'GET',
    path: '/api/v1/schemas/{domain}',
    access: 'admin',
    params: { domain: { value: 'task', kind: { kind: 'enum', values: DOMAINS } } },
  },
  {
    method: 'PUT',
    path: '/api/v1/schemas/{domain}',
    access: 'admin',
    mutates: true,
    params: { domain: { value: 'task', kind: { kind: 'enum', values: DOMAINS } } },
    body: () => TASK_SCHEMA_V1,
    bodyFields: { version: { kind: 'int', min: 1, max: INT32 }, json_schema: { kind: 'object' } },
    closedObjects: [''],
  },
  { method: 'GET', path: '/api/v1/invariants', access: 'admin' },
  {
    method: 'PUT',
    path: '/api/v1/invariants/{name}',
    access: 'admin',
    mutates: true,
    params: { name: { value: 'ticket_status', kind: { kind: 'string', min: 1, max: 64 } } },
    body: () => ({ enabled: true }),
    bodyFields: { enabled: { kind: 'bool' } },
    closedObjects: [''],
  },
];

/** `GET /api/v1/conflicts/{id}` → `GET /api/v1/conflicts/{}` (parameter names do not matter). */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`;
}

export function ownedIdValue(f: Fixture, id: OwnedId): string {
  switch (id) {
    case 'conflict':
    case 'restorableConflict':
      return f.restorableConflictId;
    case 'manualConflict':
      return f.manualConflictId;
    case 'apiKey':
      return f.apiKeyId;
    case 'device':
      return f.deviceId;
  }
}

/** The request path of an endpoint for tenant `f`, with `overrides` for some path parameters (raw, encoded here). */
export function requestPath(
  endpoint: Endpoint,
  f: Fixture,
  overrides: { params?: Record<string, string>; query?: Record<string, string> } = {},
): string {
  let path = endpoint.path;
  for (const [name, spec] of Object.entries(endpoint.params ?? {})) {
    const value = overrides.params?.[name] ?? (typeof spec === 'string' ? ownedIdValue(f, spec) : spec.value);
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  const query = overrides.query ?? endpoint.query?.(f);
  const search = query ? new URLSearchParams(query).toString() : '';
  return search ? `${path}?${search}` : path;
}

/**
 * A tenant with data behind every kind of owned id: records, an automatically resolved conflict, a manual one,
 * an extra API key, a device with sync history.
 */
export async function seedTenant(t: TestApp, name: string): Promise<Fixture> {
  const tenant = await t.createTenant(name);
  const marker = `marker-${name}-${randomUUID().slice(0, 8)}`;
  const deviceId = `device-${name}`;
  const userId = 'user-1';
  const put = await call(t, 'PUT', '/api/v1/conflict-policies/journal', {
    key: tenant.adminKey,
    body: { resolution_policy: 'manual', auto_resolve: false },
  });
  if (put.status !== 200) throw new Error(`policy: ${put.status} ${JSON.stringify(put.body)}`);
  const task = randomUUID();
  const journal = randomUUID();
  const first = await call(t, 'POST', '/api/v1/sync/push', {
    key: tenant.syncKey,
    device: deviceId,
    body: {
      items: [
        pushItem({ mobile_id: task, data: taskData({ remarks: marker }) }),
        pushItem({ domain: 'journal', mobile_id: journal, data: { title: marker, body: 'first' } }),
      ],
    },
  });
  const second = await call(t, 'POST', '/api/v1/sync/push', {
    key: tenant.syncKey,
    device: deviceId,
    body: {
      items: [
        pushItem({
          mobile_id: task,
          base_version: 1,
          data: taskData({ remarks: marker, jobstatus: 'INPROGRESS' }),
          client_updated_at: '2025-09-28T11:00:00Z',
        }),
        pushItem({ domain: 'journal', mobile_id: journal, base_version: 1, data: { title: marker, body: 'second' } }),
      ],
    },
  });
  // Another device edits the same records from the old version: one automatic and one manual conflict.
  const third = await call(t, 'POST', '/api/v1/sync/push', {
    key: tenant.syncKey,
    device: `${deviceId}-b`,
    body: {
      items: [
        pushItem({
          mobile_id: task,
          base_version: 1,
          data: taskData({ remarks: marker, jobstatus: 'STANDBY' }),
          client_updated_at: '2025-09-28T10:00:00Z',
        }),
        pushItem({ domain: 'journal', mobile_id: journal, base_version: 1, data: { title: marker, body: 'third' } }),
      ],
    },
  });
  for (const response of [first, second, third]) {
    if (response.status !== 200) throw new Error(`push: ${response.status} ${JSON.stringify(response.body)}`);
  }
  const [auto, manual] = third.body.results as Array<{ status: string; conflict_id: string | null }>;
  if (auto.status !== 'resolved' || manual.status !== 'manual_required' || !auto.conflict_id || !manual.conflict_id) {
    throw new Error(`seed conflicts: ${JSON.stringify(third.body.results)}`);
  }
  const user = await call(t, 'PUT', `/api/v1/users/${userId}`, {
    key: tenant.adminKey,
    body: { display_name: 'Technician One', memberships: [{ group: 'site:58', role: 'member' }] },
  });
  if (user.status !== 200) throw new Error(`user: ${user.status} ${JSON.stringify(user.body)}`);
  const schema = await call(t, 'PUT', '/api/v1/schemas/task', { key: tenant.adminKey, body: TASK_SCHEMA_V1 });
  if (schema.status !== 200 && schema.status !== 201) {
    throw new Error(`schema: ${schema.status} ${JSON.stringify(schema.body)}`);
  }
  const key = await call(t, 'POST', '/api/v1/api-keys', {
    key: tenant.adminKey,
    body: { name: `spare-${name}`, scopes: ['sync'], user_id: userId },
  });
  if (key.status !== 201 && key.status !== 200) throw new Error(`api key: ${key.status}`);
  return {
    tenant,
    deviceId,
    userId,
    restorableConflictId: auto.conflict_id,
    manualConflictId: manual.conflict_id,
    apiKeyId: key.body.id,
    mobileIds: [task, journal],
    marker,
  };
}
