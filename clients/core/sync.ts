import { applyPatch, type Operation } from 'fast-json-patch';
import type { components, paths } from '../generated/fieldsync-api';
import type { FieldsyncClient } from './client';
import { httpError } from './errors';
import { mutationId } from './mutation-id';
import type { ServerCopy, ShadowStore } from './shadow-store';

type PushBody = paths['/api/v1/sync/push']['post']['requestBody']['content']['application/json'];
export type PushItem = PushBody['items'][number];
export type Domain = PushItem['domain'];
export type Priority = NonNullable<PushItem['priority']>;
export type PushResult = components['schemas']['PushResultDto'];
type ChangeDto = components['schemas']['ChangeDto'];
/** A change, or a removal (`removed`, `reason`: the record left the caller's scope, API.md "Sync scopes"). */
type FeedChange = Partial<ChangeDto> & Pick<ChangeDto, 'domain' | 'mobile_id'> & { removed?: boolean; reason?: string };

/** The server's largest known_versions map (SyncService.MAX_KNOWN_VERSIONS). */
const MAX_KNOWN_VERSIONS = 10000;

/** One change of the feed with its full data (patches already applied). */
export interface PulledChange {
  domain: string;
  mobile_id: string;
  version: number;
  /** A tombstone (deleted on the server) or a removal (left the caller's scope): delete locally either way. */
  gone: boolean;
  removed: boolean;
  data: Record<string, unknown> | null;
}

export interface PulledPage {
  changes: PulledChange[];
  cursor: string | null;
  hasMore: boolean;
}

export interface PullOptions {
  cursor: string | null;
  limit: number;
  domains?: readonly Domain[];
  shadow: ShadowStore;
}

/**
 * One page of the feed through `POST /api/v1/sync/pull` with `delta: true`: records the shadow store knows come as
 * RFC 6902 patches from that version and are patched here. When a patch does not apply to the copy at hand, the
 * same page is asked again without delta.
 */
export async function pullPage(client: FieldsyncClient, options: PullOptions): Promise<PulledPage> {
  const knownVersions = await options.shadow.knownVersions(MAX_KNOWN_VERSIONS);
  const delta = Object.keys(knownVersions).length > 0;
  const page = await requestPage(client, options, delta ? knownVersions : undefined);
  let changes = await withFullData(page.changes, options.shadow);
  if (!changes) {
    const full = await requestPage(client, options, undefined);
    changes = (await withFullData(full.changes, options.shadow))!;
    return { changes, cursor: full.next_cursor, hasMore: full.has_more };
  }
  return { changes, cursor: page.next_cursor, hasMore: page.has_more };
}

async function requestPage(
  client: FieldsyncClient,
  options: PullOptions,
  knownVersions: Record<string, number> | undefined,
): Promise<components['schemas']['PullResponseDto']> {
  const { data, error, response } = await client.POST('/api/v1/sync/pull', {
    body: {
      limit: options.limit,
      ...(options.cursor ? { cursor: options.cursor } : {}),
      ...(options.domains ? { domains: options.domains.join(',') } : {}),
      ...(knownVersions ? { delta: true, known_versions: knownVersions } : {}),
    },
  });
  if (!data) throw httpError(response.status, error);
  return data;
}

/**
 * The replacement sync after a 410 RESYNC_REQUIRED (API.md "Devices that come back"): every current record the
 * caller reads, walked through `GET /api/v1/sync/snapshot`, and the pull cursor that continues the feed after them.
 * A local record missing from it is gone; the caller keeps its unsynced edits and pushes them as usual.
 */
export async function snapshotAll(
  client: FieldsyncClient,
  options: { limit: number; domains?: readonly Domain[] },
): Promise<{ changes: PulledChange[]; cursor: string }> {
  const changes: PulledChange[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data, error, response } = await client.GET('/api/v1/sync/snapshot', {
      params: {
        query: {
          limit: options.limit,
          ...(cursor ? { cursor } : {}),
          ...(options.domains ? { domains: options.domains.join(',') } : {}),
        },
      },
    });
    if (!data) throw httpError(response.status, error);
    for (const change of data.changes) {
      changes.push({
        domain: change.domain,
        mobile_id: change.mobile_id,
        version: change.version,
        gone: false,
        removed: false,
        data: change.data ?? null,
      });
    }
    cursor = data.next_cursor;
    if (!data.has_more) return { changes, cursor };
  }
}

/** Full data for every change, or null when some patch has no matching base copy or does not apply. */
async function withFullData(changes: FeedChange[], shadow: ShadowStore): Promise<PulledChange[] | null> {
  const patched = changes.filter((change) => change.patch !== undefined).map((change) => change.mobile_id);
  const bases = patched.length > 0 ? await shadow.get(patched) : new Map<string, ServerCopy>();
  const result: PulledChange[] = [];
  for (const change of changes) {
    const removed = change.removed === true;
    const gone = removed || change.deleted === true;
    let data = gone ? null : (change.data ?? null);
    if (!gone && change.patch !== undefined) {
      const base = bases.get(change.mobile_id);
      if (!base?.data || base.version !== change.base_version) return null;
      try {
        data = applyPatch(structuredClone(base.data), change.patch as Operation[], true, true).newDocument;
      } catch {
        return null;
      }
    }
    result.push({
      domain: change.domain,
      mobile_id: change.mobile_id,
      version: change.version ?? 0,
      gone,
      removed,
      data,
    });
  }
  return result;
}

/** A local edit to send: the whole record as the device has it and the server version it started from. */
export interface LocalEdit {
  domain: Domain;
  mobile_id: string;
  base_version: number;
  data: Record<string, unknown>;
  deleted: boolean;
  client_updated_at: string | null;
  priority?: Priority;
}

export interface PushOutcome {
  edit: LocalEdit;
  result: PushResult;
  /** What the server holds after the push (the next edit's base), or null when unknown (rejected without copy, queued). */
  server: ServerCopy | null;
}

export interface DeviceInfo {
  app_version?: string;
  os_version?: string;
  network_type?: string;
}

const PUSH_CHUNK = 500;

/**
 * Pushes edits with ids derived from their content (a retry replays), `client_updated_at` and the device's clock,
 * and returns, per edit, the server's result and the copy that becomes the device's master state.
 */
export async function pushEdits(
  client: FieldsyncClient,
  edits: readonly LocalEdit[],
  deviceInfo: DeviceInfo = {},
): Promise<PushOutcome[]> {
  const outcomes: PushOutcome[] = [];
  for (let start = 0; start < edits.length; start += PUSH_CHUNK) {
    const chunk = edits.slice(start, start + PUSH_CHUNK);
    const items = await Promise.all(
      chunk.map(async (edit) => ({
        client_mutation_id: await mutationId(edit),
        domain: edit.domain,
        mobile_id: edit.mobile_id,
        base_version: edit.base_version,
        data: edit.data,
        client_updated_at: edit.client_updated_at,
        deleted: edit.deleted,
        priority: edit.priority ?? 'medium',
      })),
    );
    const { data, error, response } = await client.POST('/api/v1/sync/push', {
      params: { header: { 'X-Device-Id': client.deviceId } },
      body: { items, mode: 'process', device_info: { ...deviceInfo, device_time: new Date().toISOString() } },
    });
    if (!data) throw httpError(response.status, error);
    const byId = new Map(data.results.map((result) => [result.client_mutation_id, result]));
    chunk.forEach((edit, index) => {
      const result = byId.get(items[index].client_mutation_id);
      if (!result) throw new Error(`push answer lacks ${items[index].client_mutation_id}`);
      outcomes.push({ edit, result, server: serverCopyAfter(edit, result) });
    });
  }
  return outcomes;
}

function serverCopyAfter(edit: LocalEdit, result: PushResult): ServerCopy | null {
  if (result.record) {
    const { version, deleted, data } = result.record;
    return { domain: edit.domain, version, deleted, data: deleted ? null : (data ?? null) };
  }
  if ((result.status === 'applied' || result.status === 'resolved') && result.server_version !== null) {
    return { domain: edit.domain, version: result.server_version, deleted: edit.deleted, data: edit.data };
  }
  return null;
}

/** An ISO-8601 instant from what a local store keeps as an edit time (ms number or ISO string), else null. */
export function isoInstant(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return new Date(value).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return null;
}
