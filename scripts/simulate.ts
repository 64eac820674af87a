/**
 * Device simulator: `npm run simulate -- --devices 50 --minutes 5 [--url http://localhost:3000] [--admin-key fsk_...]`.
 * It sets up a directory (sites, their teams, technicians and supervisors), gives each phone a `sync` key bound to
 * its technician, and lets phones on mixed networks push realistic edits (with conflicts), pull with cursors and
 * deltas and run partial syncs, while each site's supervisor (the control room) escalates tickets and reassigns work
 * orders; one more phone sleeps past the purge horizon and recovers by a replacement sync. Public API only, except
 * for creating the tenant and making time pass for the sleeping phone (both need DATABASE_URL); afterwards
 * /dashboard has figures to show.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { applyPatch, type Operation } from 'fast-json-patch';
import { parseFlags } from '../src/cli';
import {
  Data,
  Domain,
  newRecord,
  priorityOf,
  Random,
  seededRandom,
  serverEdit,
  Site,
  SITES,
  Staff,
  techEdit,
} from './simulate-records';

type Network = '2g' | '3g' | '4g' | 'wifi';
const NETWORKS: Array<[Network, number]> = [
  ['wifi', 0.3],
  ['4g', 0.35],
  ['3g', 0.2],
  ['2g', 0.15],
];
const QUALITY: Record<Network, string> = { wifi: 'excellent', '4g': 'good', '3g': 'fair', '2g': 'poor' };
/** Think time between a device's requests; slow networks sync less often. */
const PAUSE_MS: Record<Network, number> = { wifi: 1500, '4g': 2000, '3g': 3000, '2g': 4500 };
/** What technicians create; work orders come from their site's supervisor. */
const NEW_WEIGHTS: Array<[Domain, number]> = [
  ['journal', 0.15],
  ['attendance', 0.15],
  ['task', 0.4],
  ['ticket', 0.3],
];
/** Share of a device's turns spent on a refused retry: flaky networks make devices unhealthy. */
const FLAKY_RETRY: Record<Network, number> = { wifi: 0, '4g': 0.02, '3g': 0.08, '2g': 0.35 };
const SHARED: Domain[] = ['task', 'ticket', 'work_order'];
/** Reviewed by a supervisor: this domain's conflicts are not resolved automatically. */
const MANUAL_DOMAIN: Domain = 'work_order';
/** A site gets a supervisor for up to this many technicians (at most one site per entry of SITES). */
const TECHNICIANS_PER_SITE = 6;
/** Technicians are users 4101, 4102, …; the phone that sleeps past the purge horizon belongs to 4100. */
const FIRST_TECHNICIAN = 4101;
const SLEEPER = 4100;

export interface SimulateOptions {
  url: string;
  devices: number;
  minutes: number;
  tenantName: string;
  adminKey?: string;
  seed: number;
  /** Progress and notes (stderr). */
  progress: NodeJS.WritableStream & { isTTY?: boolean };
  /** Summary (stdout). */
  print: (line: string) => void;
  /** Where DATABASE_URL and DATA_DIR come from when the simulator has to create the tenant. */
  env: Record<string, string | undefined>;
  /**
   * Lets a device's absence outlast the purge horizon: its position last seen long ago, the tenant's tombstones
   * old enough, then the purge. Defaults to `expireDevice` on the database of DATABASE_URL; without either, the
   * sleeping phone is left out (the embedded database opens in one process only).
   */
  expireDevice?: (tenantId: string, deviceId: string) => Promise<void>;
}

/** A phone's local store at the end of the run. */
export interface PhoneView {
  device: string;
  user: string;
  /** mobile_ids of the records it holds. */
  holds: string[];
  /** Records that left its scope, as its pulls said. */
  removals: Array<{ mobile_id: string; reason: string }>;
}

/** A work order a supervisor handed from one technician to another (the push that did it was applied). */
export interface Reassignment {
  mobile_id: string;
  from: string;
  to: string;
  version: number;
}

/** The phone that slept past the purge horizon and came back. */
export interface SleeperOutcome {
  device: string;
  user: string;
  /** HTTP status of its first pull after waking: 410 when its cursor was below the horizon. */
  pullStatus: number;
  /** Pages of the replacement sync (0 when none ran). */
  snapshotPages: number;
  /** Result status of the edit it made offline before sleeping, pushed after the replacement sync. */
  offlineEdit: string;
  /** Records it holds at the end, and whether they equal (ids and versions) a fresh snapshot of its scope. */
  held: number;
  matchesServer: boolean;
  /** The record deleted while it slept is gone from it (a purged tombstone it never saw). */
  deletedGone: boolean;
}

export interface SimulateSummary {
  tenantId: string;
  adminKey: string;
  dashboardUrl: string;
  counts: Counts;
  snapshotId: string | null;
  phones: PhoneView[];
  reassignments: Reassignment[];
  /** Reassigned work orders (last hand-over of each) gone from every phone of the old assignee, which received a
   * `reassigned` removal, and held by every phone of the new one. */
  reassignmentsConfirmed: number;
  sleeper: SleeperOutcome | null;
}

interface Counts {
  requests: number;
  pushes: number;
  items: number;
  conflicts: number;
  manual: number;
  /** Items refused per item (RECORD_FORBIDDEN, FIELD_FORBIDDEN): e.g. an edit of a work order just reassigned. */
  rejected: number;
  pulls: number;
  partials: number;
  /** Work orders handed to another technician. */
  reassignments: number;
  /** Removals received by phones (records that left their scope). */
  removals: number;
  /** Replacement syncs after a 410 RESYNC_REQUIRED (a phone that slept past the purge horizon). */
  resyncs: number;
  /** Deliberately failed requests (retries that reuse a mutation id with another payload). */
  failedRetries: number;
  errors: number;
}

export class SimulateError extends Error {}

interface SharedRecord {
  domain: Domain;
  mobileId: string;
  version: number;
  data: Data;
}

interface HttpResult {
  status: number;
  body: any;
}

class Api {
  constructor(
    private readonly base: string,
    private readonly key: string,
    private readonly device?: string,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: 'application/json' };
    if (this.device) headers['x-device-id'] = this.device;
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.status === 429 && attempt < 3) {
        await sleep(1000 * Number(response.headers.get('retry-after') ?? '1'));
        continue;
      }
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text for the error message
      }
      return { status: response.status, body: parsed };
    }
  }

  async expect(method: string, path: string, body?: unknown, ok = [200, 201]): Promise<any> {
    const result = await this.call(method, path, body);
    if (!ok.includes(result.status)) {
      const error = result.body?.error;
      throw new SimulateError(
        `${method} ${path} → ${result.status} ${error ? `${error.code}: ${error.message}` : String(result.body)}`,
      );
    }
    return result.body;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function weighted<T>(rnd: Random, choices: Array<[T, number]>): T {
  let roll = rnd();
  for (const [value, weight] of choices) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return choices[choices.length - 1][0];
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

class Progress {
  private timer?: NodeJS.Timeout;
  private lastLine = 0;

  constructor(
    private readonly out: SimulateOptions['progress'],
    private readonly counts: Counts,
    private readonly startedAt: number,
    private readonly totalMs: number,
    private readonly devices: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(false), this.out.isTTY ? 250 : 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.draw(true);
    if (this.out.isTTY) this.out.write('\n');
  }

  private draw(final: boolean): void {
    const elapsed = Math.min(Date.now() - this.startedAt, this.totalMs);
    const ratio = this.totalMs === 0 ? 1 : elapsed / this.totalMs;
    const width = 28;
    const filled = Math.round(ratio * width);
    const c = this.counts;
    const bar = `\x1b[32m${'█'.repeat(filled)}\x1b[2m${'░'.repeat(width - filled)}\x1b[0m`;
    const line =
      `${bar} ${String(Math.round(ratio * 100)).padStart(3)}% ${duration(elapsed)}/${duration(this.totalMs)} ` +
      `devices ${this.devices} · pushes ${c.pushes} (${c.items} items) · conflicts ${c.conflicts} ` +
      `(manual ${c.manual}) · pulls ${c.pulls} · partial ${c.partials} · reassigned ${c.reassignments} · errors ${c.errors}`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${line}`);
    } else if (final || Date.now() - this.lastLine >= 10_000) {
      // Not a terminal (CI, a pipe): a plain line every 10 s instead of redrawing.
      this.lastLine = Date.now();
      // eslint-disable-next-line no-control-regex -- strips the ANSI colours this class added itself
      this.out.write(`${line.replace(/\x1b\[[\d;]*m/g, '')}\n`);
    }
  }
}

/** A Nest application context on the database of DATABASE_URL (the server's), without the scheduler. */
async function withAppContext<T>(
  options: SimulateOptions,
  run: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../src/app.module');
  const { AppConfig } = await import('../src/config/app-config');
  const config = AppConfig.fromEnv({ ...options.env, SCHEDULER_ENABLED: 'false' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error'] });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

/** Creates the tenant and its admin key directly in the database, the way `npm run cli -- tenant:create` does. */
async function createTenant(options: SimulateOptions): Promise<{ tenantId: string; adminKey: string }> {
  const { TenantService } = await import('../src/modules/tenant/tenant.service');
  return withAppContext(options, async (app) => {
    const tenants = app.get(TenantService);
    const tenant = await tenants.createTenant(options.tenantName, 'UTC');
    const admin = await tenants.createApiKey(tenant.id, ['admin'], 'simulator', 'simulator admin');
    return { tenantId: tenant.id, adminKey: admin.key };
  });
}

/**
 * Time passes for one device, in the database of a running app: its position was last seen longer ago than
 * DEVICE_ACTIVE_DAYS and the tenant's tombstones are older than TOMBSTONE_MIN_AGE_DAYS; then the purge runs. The
 * purge horizon so moves past the device's position (the other devices have pulled past the tombstones), and its
 * next pull is a 410 RESYNC_REQUIRED. Only the simulated tenant's rows are aged.
 */
export async function expireDevice(app: INestApplicationContext, tenantId: string, deviceId: string): Promise<void> {
  const { DataSource } = await import('typeorm');
  const { AppConfig } = await import('../src/config/app-config');
  const { SyncPurgeService } = await import('../src/modules/sync/sync-purge.service');
  const db = app.get(DataSource);
  const config = app.get(AppConfig);
  await db.query(
    `UPDATE sync_device_cursor SET seen_at = now() - make_interval(days => $3)
     WHERE tenant_id = $1 AND device_id = $2`,
    [tenantId, deviceId, config.get('DEVICE_ACTIVE_DAYS') + 1],
  );
  await db.query(
    `UPDATE sync_record SET updated_at = updated_at - make_interval(days => $2) WHERE tenant_id = $1 AND deleted`,
    [tenantId, config.get('TOMBSTONE_MIN_AGE_DAYS') + 1],
  );
  await app.get(SyncPurgeService).runPurge();
}

function noTenantHelp(): string {
  return [
    'The simulator needs an admin key: the public API has no tenant creation.',
    'The server runs on the embedded database (no DATABASE_URL), which only one process can open, so create a',
    'tenant and key with the server stopped, start it, and pass the key:',
    '  npm run cli -- tenant:create --name "Simulated Facilities"      # → {"tenant_id":"1",...}',
    '  npm run cli -- apikey:create --tenant 1 --scopes admin          # → {"api_key":"fsk_..."}',
    '  npm start   # then, in another terminal:',
    '  npm run simulate -- --admin-key fsk_... --devices 50 --minutes 5',
    'With DATABASE_URL set (the same as the server), the simulator creates the tenant itself.',
  ].join('\n');
}

interface Device {
  id: string;
  user: string;
  staff: Staff;
  network: Network;
  api: Api;
  rnd: Random;
  skewMs: number;
  /** The phone's local store: the server copies it holds, by mobile_id. */
  known: Map<string, { domain: Domain; version: number; data: Data }>;
  removals: Array<{ mobile_id: string; reason: string }>;
  cursor: string | null;
  pendingEnqueued: number;
}

interface Technician {
  userId: string;
  userNumber: number;
  site: Site;
  phones: Device[];
  /** The sleeping phone's technician: not part of the supervisors' reassignments. */
  asleep: boolean;
}

/** A site: its supervisor (whose credential the control room uses) and technicians. */
interface Crew {
  site: Site;
  supervisor: string;
  room: Device;
  technicians: Technician[];
}

interface Directory {
  crews: Crew[];
  technicians: Map<string, Technician>;
  phones: Device[];
  sleeper: Device | null;
}

function newDevice(id: string, user: string, staff: Staff, network: Network, api: Api, rnd: Random): Device {
  return {
    id,
    user,
    staff,
    network,
    api,
    rnd,
    skewMs: 0,
    known: new Map(),
    removals: [],
    cursor: null,
    pendingEnqueued: 0,
  };
}

/**
 * The directory, through the admin API: per site a supervisor (supervisor of `site:<bu>` and of the site's team
 * `group:<team>`) and technicians (members of both), each phone with a `sync` key bound to its technician.
 */
async function createDirectory(
  admin: Api,
  base: string,
  options: SimulateOptions,
  rnd: Random,
  withSleeper: boolean,
): Promise<Directory> {
  const technicianCount = Math.max(1, Math.ceil(options.devices * 0.7));
  const sites = SITES.slice(0, Math.min(SITES.length, Math.ceil(technicianCount / TECHNICIANS_PER_SITE)));
  const putUser = (userId: string, name: string, site: Site, role: 'member' | 'supervisor') =>
    admin.expect('PUT', `/api/v1/users/${userId}`, {
      display_name: name,
      memberships: [
        { group: `site:${site.bu}`, role },
        { group: `group:${site.team}`, role },
      ],
    });
  const syncKey = async (userId: string, name: string): Promise<string> =>
    (await admin.expect('POST', '/api/v1/api-keys', { name, scopes: ['sync'], user_id: userId })).api_key;

  const crews: Crew[] = [];
  for (const site of sites) {
    const supervisor = `sup-${site.bu}`;
    await putUser(supervisor, `Supervisor, ${site.name}`, site, 'supervisor');
    const id = `control-room-${site.bu}`;
    const key = await syncKey(supervisor, `simulator control room ${site.name}`);
    const room = newDevice(id, supervisor, { userNumber: 1, site }, 'wifi', new Api(base, key, id), rnd);
    crews.push({ site, supervisor, room, technicians: [] });
  }
  const technicians = new Map<string, Technician>();
  const numbers = [...Array(technicianCount)].map((_, i) => FIRST_TECHNICIAN + i);
  for (const userNumber of withSleeper ? [SLEEPER, ...numbers] : numbers) {
    const crew = userNumber === SLEEPER ? crews[0] : crews[(userNumber - FIRST_TECHNICIAN) % crews.length];
    const userId = String(userNumber);
    await putUser(userId, `Technician ${userNumber}`, crew.site, 'member');
    const technician = { userId, userNumber, site: crew.site, phones: [], asleep: userNumber === SLEEPER };
    technicians.set(userId, technician);
    crew.technicians.push(technician);
  }

  const phones: Device[] = [];
  const addPhone = async (id: string, technician: Technician, seed: number): Promise<Device> => {
    const key = await syncKey(technician.userId, `simulator ${id}`);
    const staff = { userNumber: technician.userNumber, site: technician.site };
    const phone = newDevice(id, technician.userId, staff, weighted(rnd, NETWORKS), new Api(base, key, id), rnd);
    phone.rnd = seededRandom(seed);
    phone.skewMs = rnd.int(-90, 90) * 1000;
    technician.phones.push(phone);
    return phone;
  };
  for (let i = 0; i < options.devices; i++) {
    const technician = technicians.get(String(numbers[i % technicianCount]))!;
    phones.push(
      await addPhone(`sim-${String(i + 1).padStart(3, '0')}-${technician.userId}`, technician, options.seed + i + 1),
    );
  }
  const sleeping = technicians.get(String(SLEEPER));
  const sleeper = sleeping ? await addPhone(`sim-sleeper-${SLEEPER}`, sleeping, options.seed) : null;
  return { crews, technicians, phones, sleeper };
}

interface PullPage {
  status: number;
  hasMore: boolean;
  /** After a 410: the pages of the replacement sync it ran. */
  snapshotPages?: number;
}

class Simulation {
  readonly counts: Counts = {
    requests: 0,
    pushes: 0,
    items: 0,
    conflicts: 0,
    manual: 0,
    rejected: 0,
    pulls: 0,
    partials: 0,
    reassignments: 0,
    removals: 0,
    resyncs: 0,
    failedRetries: 0,
    errors: 0,
  };
  readonly reassignments: Reassignment[] = [];
  private readonly shared = new Map<string, SharedRecord>();
  private readonly errorSamples: string[] = [];

  /** When the shift ends; set by begin(). */
  private deadline = 0;

  constructor(
    private readonly rnd: Random,
    private readonly directory: Directory,
  ) {}

  /** Starts the shift clock; returns the start time. */
  begin(totalMs: number): number {
    const now = Date.now();
    this.deadline = now + totalMs;
    return now;
  }

  errors(): string[] {
    return this.errorSamples;
  }

  private noteError(device: string, what: string): void {
    this.counts.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(`${device}: ${what}`);
  }

  private remember(device: Device, domain: Domain, mobileId: string, version: number, data: Data): void {
    device.known.set(mobileId, { domain, version, data });
    if (!SHARED.includes(domain)) return;
    const record = this.shared.get(mobileId);
    if (!record) this.shared.set(mobileId, { domain, mobileId, version, data });
    else if (version > record.version) Object.assign(record, { version, data });
  }

  /** A deleted record: gone from the phone, and no longer one the control room edits. */
  private forget(device: Device, mobileId: string): void {
    device.known.delete(mobileId);
    this.shared.delete(mobileId);
  }

  private deviceInfo(device: Device): Record<string, string> {
    return {
      network_type: device.network,
      app_version: device.rnd.pick(['5.2.0', '5.2.0', '5.1.3']),
      os_version: device.staff.userNumber % 3 === 0 ? 'iOS 17.5' : 'Android 14',
      device_time: new Date(Date.now() + device.skewMs).toISOString(),
    };
  }

  /**
   * New records and edits of what the phone holds (its scope); an edit may start from an older version than the
   * phone last saw, as a phone that edited offline for a while does.
   */
  private pushItems(device: Device, count: number): Array<Record<string, unknown>> {
    const now = new Date(Date.now() + device.skewMs);
    const items: Array<Record<string, unknown>> = [];
    const used = new Set<string>();
    const user = device.staff.userNumber;
    for (let i = 0; i < count; i++) {
      const held = [...device.known.entries()].filter(([id]) => !used.has(id));
      const shared = held.filter(([, k]) => SHARED.includes(k.domain));
      const own = held.filter(([, k]) => !SHARED.includes(k.domain));
      if (shared.length > 0 && device.rnd.chance(0.55)) {
        const [mobileId, mine] = device.rnd.pick(shared);
        used.add(mobileId);
        // Slow phones sync rarely, so what they edit is older still.
        const behind = mine.version > 1 && (device.network === '2g' || device.rnd.chance(0.5)) ? 1 : 0;
        const data = techEdit(mine.domain, mine.data, device.rnd, user, now);
        items.push(this.item(mine.domain, mobileId, mine.version - behind, data, now));
      } else if (own.length > 0 && device.rnd.chance(0.3)) {
        const [mobileId, mine] = device.rnd.pick(own);
        used.add(mobileId);
        items.push(
          this.item(mine.domain, mobileId, mine.version, techEdit(mine.domain, mine.data, device.rnd, user, now), now),
        );
      } else {
        const domain = weighted(device.rnd, NEW_WEIGHTS);
        const data = newRecord(domain, device.rnd, device.staff, now);
        items.push(this.item(domain, String(data.mobile_id), 0, data, now));
      }
    }
    return items;
  }

  private item(domain: Domain, mobileId: string, base: number, data: Data, now: Date): Record<string, unknown> {
    return {
      client_mutation_id: `sim-${randomUUID()}`,
      domain,
      mobile_id: mobileId,
      base_version: base,
      data,
      client_updated_at: now.toISOString(),
      deleted: false,
      priority: priorityOf(data),
    };
  }

  private async push(
    device: Device,
    items: Array<Record<string, unknown>>,
    mode: 'process' | 'enqueue',
  ): Promise<Array<Record<string, any>> | null> {
    if (items.length === 0) return [];
    this.counts.requests++;
    const result = await device.api.call('POST', '/api/v1/sync/push', {
      items,
      device_info: this.deviceInfo(device),
      mode,
    });
    if (result.status !== 200) {
      this.noteError(device.id, `push → ${result.status} ${result.body?.error?.code ?? ''}`);
      return null;
    }
    this.counts.pushes++;
    this.counts.items += items.length;
    const results = result.body.results as Array<Record<string, any>>;
    for (const [index, r] of results.entries()) {
      const sent = items[index];
      if (r.status === 'resolved' || r.status === 'manual_required') this.counts.conflicts++;
      if (r.status === 'manual_required') this.counts.manual++;
      if (r.status === 'rejected') {
        // Refused: the phone keeps its copy until its pull says otherwise; the server's copy when it sent one.
        this.counts.rejected++;
        if (r.record && !r.record.deleted)
          this.remember(device, r.domain, r.mobile_id, r.record.version, r.record.data);
        continue;
      }
      if (r.record?.deleted || (sent.deleted && r.status === 'applied')) this.forget(device, r.mobile_id);
      else if (r.record) this.remember(device, r.domain, r.mobile_id, r.record.version, r.record.data ?? sent.data);
      else if (r.server_version) this.remember(device, r.domain, r.mobile_id, r.server_version, sent.data as Data);
    }
    if (mode === 'enqueue') device.pendingEnqueued += items.length;
    return results;
  }

  /** A change of the feed into the phone's store: removals and tombstones delete, delta patches apply. */
  private take(device: Device, change: Record<string, any>): void {
    if (change.removed) {
      device.known.delete(change.mobile_id);
      device.removals.push({ mobile_id: change.mobile_id, reason: change.reason });
      this.counts.removals++;
      return;
    }
    if (change.deleted) {
      this.forget(device, change.mobile_id);
      return;
    }
    const mine = device.known.get(change.mobile_id);
    let data: Data | undefined = change.data ?? undefined;
    if (change.patch !== undefined) {
      try {
        if (!mine || mine.version !== change.base_version) throw new Error('no base copy');
        data = applyPatch(structuredClone(mine.data), change.patch as Operation[], true, true).newDocument;
      } catch {
        // A copy the patch does not fit is dropped rather than kept stale; its next change brings it back whole.
        device.known.delete(change.mobile_id);
        return;
      }
    }
    if (data) this.remember(device, change.domain, change.mobile_id, change.version, data);
  }

  /**
   * One pull page: a delta pull (`POST` with known versions) or a `GET` of the shared domains, at random, or a
   * plain `GET` of every domain with `full`. A 410 RESYNC_REQUIRED runs the replacement sync.
   */
  private async pull(device: Device, full = false): Promise<PullPage> {
    this.counts.requests++;
    const delta = !full && device.rnd.chance(0.5) && device.known.size > 0;
    let result: HttpResult;
    if (delta) {
      const known: Record<string, number> = {};
      for (const [id, k] of [...device.known.entries()].slice(-200)) known[id] = k.version;
      result = await device.api.call('POST', '/api/v1/sync/pull', {
        cursor: device.cursor ?? undefined,
        limit: 100,
        known_versions: known,
        delta: true,
      });
    } else {
      const query = new URLSearchParams({ limit: '100' });
      if (!full) query.set('domains', 'task,ticket,work_order');
      if (device.cursor) query.set('cursor', device.cursor);
      result = await device.api.call('GET', `/api/v1/sync/pull?${query.toString()}`);
    }
    if (result.status === 410 && result.body?.error?.code === 'RESYNC_REQUIRED') {
      return { status: 410, hasMore: false, snapshotPages: await this.replace(device) };
    }
    if (result.status !== 200) {
      this.noteError(device.id, `pull → ${result.status} ${result.body?.error?.code ?? ''}`);
      return { status: result.status, hasMore: false };
    }
    this.counts.pulls++;
    device.cursor = result.body.next_cursor ?? device.cursor;
    for (const change of result.body.changes as Array<Record<string, any>>) this.take(device, change);
    return { status: 200, hasMore: result.body.has_more === true };
  }

  /**
   * Pulls to the end of the feed (a first sync, or the end of a shift). With `acknowledge`, one more pull sends the
   * final cursor: the server records a device's position from the cursor it sends.
   */
  async catchUp(device: Device, acknowledge = true): Promise<void> {
    for (let page = 0; page < 1000; page++) {
      const { status, hasMore } = await this.pull(device, true);
      if (status !== 200 || !hasMore) break;
    }
    if (acknowledge) await this.pull(device, true);
  }

  /** Pages `GET /api/v1/sync/snapshot` (every domain, open work first); returns its last cursor and page count. */
  private async snapshot(device: Device, onChange: (change: Record<string, any>) => void) {
    let cursor: string | null = null;
    for (let pages = 1; ; pages++) {
      this.counts.requests++;
      const query = new URLSearchParams({ limit: '500' });
      if (cursor) query.set('cursor', cursor);
      const page = await device.api.call('GET', `/api/v1/sync/snapshot?${query.toString()}`);
      if (page.status !== 200) {
        this.noteError(device.id, `snapshot → ${page.status} ${page.body?.error?.code ?? ''}`);
        return null;
      }
      for (const change of page.body.changes as Array<Record<string, any>>) onChange(change);
      cursor = page.body.next_cursor;
      if (!page.body.has_more) return { cursor, pages };
    }
  }

  /**
   * The phone slept past the purge horizon: it drops what it holds, pages the snapshot and continues the feed from
   * its last cursor. Its unsynced edits keep their base versions and are pushed as usual. Returns the page count.
   */
  private async replace(device: Device): Promise<number> {
    device.known.clear();
    const done = await this.snapshot(device, (change) =>
      this.remember(device, change.domain, change.mobile_id, change.version, change.data),
    );
    if (!done) return 0;
    device.cursor = done.cursor;
    this.counts.resyncs++;
    return done.pages;
  }

  private async partial(device: Device): Promise<void> {
    this.counts.requests++;
    const result = await device.api.call('POST', '/api/v1/sync/partial', {
      priority: device.rnd.pick(['high', 'medium', 'low']),
      max_items: device.rnd.int(5, 50),
      network_quality: QUALITY[device.network],
    });
    if (result.status !== 200) {
      this.noteError(device.id, `partial → ${result.status} ${result.body?.error?.code ?? ''}`);
      return;
    }
    this.counts.partials++;
    device.pendingEnqueued = result.body.remaining;
  }

  /** A flaky 2G retry: the same mutation id with another payload is refused (409), which costs the device health. */
  private async badRetry(device: Device): Promise<void> {
    const [item] = this.pushItems(device, 1);
    if (!item) return;
    if (!(await this.push(device, [item], 'process'))) return;
    const retry = { ...item, data: { ...(item.data as Data), remarks: 'edited again before the retry' } };
    for (let attempt = 0; attempt < (device.network === '2g' ? 2 : 1); attempt++) {
      this.counts.requests++;
      const result = await device.api.call('POST', '/api/v1/sync/push', { items: [retry] });
      if (result.status === 409) this.counts.failedRetries++;
      else this.noteError(device.id, `retry → ${result.status}, expected 409`);
    }
  }

  async runDevice(device: Device): Promise<void> {
    // Spread the first requests so fifty phones do not hit the server in the same millisecond.
    await sleep(device.rnd.int(0, 1000));
    // The app's first sync: everything in the technician's scope.
    await this.catchUp(device, false).catch((error: unknown) => this.noteError(device.id, errorText(error)));
    do {
      try {
        const roll = device.rnd();
        if (roll < FLAKY_RETRY[device.network]) await this.badRetry(device);
        else if (roll < 0.5) await this.push(device, this.pushItems(device, device.rnd.int(1, 6)), 'process');
        else if (roll < 0.6) await this.push(device, this.pushItems(device, device.rnd.int(3, 12)), 'enqueue');
        else if (roll < 0.75) await this.partial(device);
        else if (roll < 0.95) await this.pull(device);
        else {
          this.counts.requests++;
          const status = await device.api.call('GET', '/api/v1/sync/queue-status');
          if (status.status !== 200) this.noteError(device.id, `queue-status → ${status.status}`);
        }
      } catch (error) {
        this.noteError(device.id, errorText(error));
      }
      const pause = PAUSE_MS[device.network] * (0.5 + device.rnd());
      await sleep(Math.max(0, Math.min(pause, this.deadline - Date.now())));
    } while (Date.now() < this.deadline);
  }

  /**
   * End of the shift, back in coverage: partial syncs of everything the phone left queued, until none remains. Only
   * then is the feed still (the server's drain has nothing left to apply), so the sleeping phone's check can compare.
   */
  async flushQueue(device: Device): Promise<void> {
    for (;;) {
      this.counts.requests++;
      const result = await device.api.call('POST', '/api/v1/sync/partial', {
        priority: 'low',
        max_items: 1000,
        network_quality: QUALITY.wifi,
      });
      if (result.status !== 200) {
        this.noteError(device.id, `partial → ${result.status} ${result.body?.error?.code ?? ''}`);
        return;
      }
      device.pendingEnqueued = result.body.remaining;
      if (device.pendingEnqueued === 0) return;
      if (result.body.synced_items.length === 0) {
        this.noteError(device.id, `partial left ${device.pendingEnqueued} items pending and synced none`);
        return;
      }
    }
  }

  /** After every check: phones out of coverage keep their last edits queued, the dashboard shows them as queue depth. */
  async queueLastEdits(device: Device): Promise<void> {
    if (device.network !== '2g' && device.network !== '3g') return;
    await this.push(device, this.pushItems(device, device.rnd.int(2, 8)), 'enqueue').catch((error: unknown) =>
      this.noteError(device.id, errorText(error)),
    );
  }

  /**
   * One conflict whatever the timing: a technician's phone edits its work order from the version it pulled after the
   * control room changed it (the run's other conflicts depend on how the phones' turns interleave).
   */
  async staleEdit(crew: Crew): Promise<void> {
    const technician = crew.technicians.find((t) => !t.asleep && t.phones.length > 0);
    if (!technician) return;
    const phone = technician.phones[0];
    await this.catchUp(phone);
    const order = [...phone.known.entries()].find(([, k]) => k.domain === 'work_order');
    if (!order) return;
    const [mobileId, held] = order;
    const now = new Date();
    const room = serverEdit('work_order', held.data, this.rnd, now, []);
    await this.push(crew.room, [this.item('work_order', mobileId, held.version, room, now)], 'process');
    const edit = techEdit('work_order', held.data, phone.rnd, technician.userNumber, now);
    const [result] =
      (await this.push(phone, [this.item('work_order', mobileId, held.version, edit, now)], 'process')) ?? [];
    if (result?.status !== 'manual_required' && result?.status !== 'resolved') {
      this.noteError(phone.id, `stale edit → ${String(result?.status)}, expected a conflict`);
    }
  }

  /** The site's work orders, one per technician, created by its supervisor before the shift starts. */
  async seedWorkOrders(crew: Crew): Promise<void> {
    const now = new Date();
    const items = crew.technicians.map((technician) => {
      const data = newRecord('work_order', this.rnd, { userNumber: technician.userNumber, site: crew.site }, now);
      return this.item('work_order', String(data.mobile_id), 0, data, now);
    });
    await this.push(crew.room, items, 'process');
  }

  /**
   * A work order of the site whose assignee's phone holds its current version, with another awake technician of
   * the site to take it over.
   */
  private reassignable(crew: Crew): Array<{ record: SharedRecord; to: number[] }> {
    const awake = crew.technicians.filter((t) => !t.asleep && t.phones.length > 0);
    const found: Array<{ record: SharedRecord; to: number[] }> = [];
    for (const record of this.shared.values()) {
      if (record.domain !== 'work_order' || record.data.bu !== crew.site.bu) continue;
      const assignee = awake.find((t) => t.userNumber === record.data.people);
      const held = assignee?.phones.some((phone) => phone.known.get(record.mobileId)?.version === record.version);
      const to = awake.filter((t) => t !== assignee).map((t) => t.userNumber);
      if (held && to.length > 0) found.push({ record, to });
    }
    return found;
  }

  /**
   * A site's control room, with its supervisor's credential (assignment and escalation fields are supervisor-only):
   * reassigns work orders between technicians, escalates and assigns tickets, puts tasks on standby, and now and
   * then creates a work order.
   */
  async runControlRoom(crew: Crew): Promise<void> {
    await sleep(1500);
    let handedOver = false;
    do {
      const now = new Date();
      const items: Array<Record<string, unknown>> = [];
      const handovers = new Map<string, { from: string; to: string }>();
      const reassignable = this.reassignable(crew);
      // The first chance is always taken, so that even a short run shows a reassignment reaching two phones.
      if (reassignable.length > 0 && (!handedOver || this.rnd.chance(0.5))) {
        const { record, to } = this.rnd.pick(reassignable);
        const data = serverEdit('work_order', record.data, this.rnd, now, to);
        handovers.set(record.mobileId, { from: String(record.data.people), to: String(data.people) });
        items.push(this.item('work_order', record.mobileId, record.version, data, now));
      }
      const site = [...this.shared.values()].filter((r) => r.data.bu === crew.site.bu && !handovers.has(r.mobileId));
      const candidates = site.slice(-40);
      const assignees = crew.technicians.filter((t) => !t.asleep).map((t) => t.userNumber);
      for (const r of new Set([...Array(2)].map(() => (candidates.length > 0 ? this.rnd.pick(candidates) : null)))) {
        if (!r) continue;
        const data = serverEdit(r.domain, r.data, this.rnd, now, r.domain === 'ticket' ? assignees : []);
        items.push(this.item(r.domain, r.mobileId, r.version, data, now));
      }
      if (assignees.length > 0 && this.rnd.chance(0.3)) {
        const data = newRecord('work_order', this.rnd, { userNumber: this.rnd.pick(assignees), site: crew.site }, now);
        items.push(this.item('work_order', String(data.mobile_id), 0, data, now));
      }
      try {
        const results = await this.push(crew.room, items, 'process');
        for (const r of results ?? []) {
          const handover = handovers.get(r.mobile_id);
          if (!handover || r.status !== 'applied') continue;
          handedOver = true;
          this.counts.reassignments++;
          this.reassignments.push({ mobile_id: r.mobile_id, ...handover, version: r.server_version });
        }
      } catch (error) {
        this.noteError(crew.room.id, errorText(error));
      }
      await sleep(Math.min(1200, Math.max(0, this.deadline - Date.now())));
    } while (Date.now() < this.deadline);
  }

  /**
   * The last hand-over of each reassigned work order, checked on the phones: gone from every phone of the old
   * assignee (which received a `reassigned` removal) and held by every phone of the new one. Run after catchUp.
   */
  confirmedReassignments(): number {
    const last = new Map(this.reassignments.map((r) => [r.mobile_id, r]));
    const phonesOf = (user: string) => this.directory.technicians.get(user)?.phones ?? [];
    let confirmed = 0;
    for (const r of last.values()) {
      const from = phonesOf(r.from);
      const gone =
        from.every((phone) => !phone.known.has(r.mobile_id)) &&
        from.some((phone) => phone.removals.some((x) => x.mobile_id === r.mobile_id && x.reason === 'reassigned'));
      if (gone && phonesOf(r.to).every((phone) => phone.known.has(r.mobile_id))) confirmed++;
    }
    return confirmed;
  }

  /**
   * Before the shift: the sleeping phone creates a task and a journal entry, syncs, and edits the entry offline;
   * then it sleeps, and its supervisor cancels (deletes) the task: a tombstone the phone never pulls.
   */
  async fallAsleep(sleeper: Device, crew: Crew) {
    const now = new Date();
    // Its own: a task not given to the team, a private entry (no one else edits them while it sleeps).
    const task: Data = { ...newRecord('task', sleeper.rnd, sleeper.staff, now), pgroup: null };
    const journal: Data = { ...newRecord('journal', sleeper.rnd, sleeper.staff, now), privacy_scope: 'private' };
    const ids = { task: String(task.mobile_id), journal: String(journal.mobile_id) };
    await this.push(
      sleeper,
      [this.item('task', ids.task, 0, task, now), this.item('journal', ids.journal, 0, journal, now)],
      'process',
    );
    await this.catchUp(sleeper);
    const offline = this.item('journal', ids.journal, 1, techEdit('journal', journal, sleeper.rnd, SLEEPER, now), now);
    await this.push(crew.room, [{ ...this.item('task', ids.task, 1, task, now), deleted: true }], 'process');
    return { offline, cancelled: ids.task };
  }

  /**
   * After the shift, time passes for the sleeping phone (expire), and it comes back: its pull is a 410, it runs the
   * replacement sync, pushes its offline edit and pulls; then its store is compared with a fresh snapshot of its
   * scope (the other phones have stopped, so nothing changes in between).
   */
  async wake(
    sleeper: Device,
    asleep: { offline: Record<string, unknown>; cancelled: string },
    expire: () => Promise<void>,
  ): Promise<SleeperOutcome> {
    await expire();
    const first = await this.pull(sleeper, true);
    const [edit] = (await this.push(sleeper, [asleep.offline], 'process')) ?? [];
    // Nothing changes the scope from here on: the other phones have stopped and flushed their queues (flushQueue), so
    // a running server's drain has nothing to apply between the pull and the snapshot.
    await this.catchUp(sleeper, false);
    const server = new Map<string, number>();
    await this.snapshot(sleeper, (change) => server.set(`${change.domain}:${change.mobile_id}`, change.version));
    const held = new Map([...sleeper.known].map(([id, k]) => [`${k.domain}:${id}`, k.version]));
    const matchesServer = held.size === server.size && [...held].every(([id, version]) => server.get(id) === version);
    return {
      device: sleeper.id,
      user: sleeper.user,
      pullStatus: first.status,
      snapshotPages: first.snapshotPages ?? 0,
      offlineEdit: String(edit?.status ?? 'failed'),
      held: held.size,
      matchesServer,
      deletedGone: !sleeper.known.has(asleep.cancelled),
    };
  }

  async snapshotsDuring(admin: Api, everyMs: number): Promise<void> {
    for (;;) {
      await sleep(Math.min(everyMs, Math.max(0, this.deadline - Date.now())));
      if (Date.now() >= this.deadline) return;
      await admin.call('POST', '/api/sync/snapshot/create/', { time_window_hours: 1 }).catch(() => undefined);
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  const base = options.url.replace(/\/+$/, '');
  const live = await fetch(`${base}/health/ready`).catch((error: unknown) => {
    throw new SimulateError(`no server at ${base} (${errorText(error)})`);
  });
  if (!live.ok) throw new SimulateError(`${base}/health/ready answered ${live.status}`);

  let adminKey = options.adminKey;
  if (!adminKey) {
    if (!options.env.DATABASE_URL) throw new SimulateError(noTenantHelp());
    adminKey = (await createTenant(options)).adminKey;
    options.progress.write(`created tenant "${options.tenantName}" and an admin key\n`);
  }
  const admin = new Api(base, adminKey);
  const tenant = await admin.expect('GET', '/api/v1/tenant');
  await admin.expect('PUT', `/api/v1/conflict-policies/${MANUAL_DOMAIN}`, {
    resolution_policy: 'most_recent_wins',
    auto_resolve: false,
    notify_on_conflict: true,
  });
  options.progress.write(
    `tenant ${tenant.id}: ${MANUAL_DOMAIN} conflicts now go to manual review ` +
      `(DELETE /api/v1/conflict-policies/${MANUAL_DOMAIN} restores the default)\n`,
  );

  const expire =
    options.expireDevice ??
    (options.env.DATABASE_URL
      ? (tenantId: string, deviceId: string) => withAppContext(options, (app) => expireDevice(app, tenantId, deviceId))
      : undefined);
  if (!expire) {
    options.progress.write('no DATABASE_URL: the phone that sleeps past the purge horizon is left out\n');
  }
  const rnd = seededRandom(options.seed);
  const directory = await createDirectory(admin, base, options, rnd, expire !== undefined);
  const technicians = [...directory.technicians.values()].filter((t) => !t.asleep).length;
  options.progress.write(
    `directory: ${directory.crews.length} sites (${directory.crews.map((c) => `site:${c.site.bu}`).join(', ')}), ` +
      `${technicians} technicians, ${directory.crews.length} supervisors` +
      `${directory.sleeper ? `; ${directory.sleeper.id} sleeps past the purge horizon` : ''}\n`,
  );

  const totalMs = Math.round(options.minutes * 60_000);
  const simulation = new Simulation(rnd, directory);
  for (const crew of directory.crews) await simulation.seedWorkOrders(crew);
  await simulation.staleEdit(directory.crews[0]);
  const asleep = directory.sleeper ? await simulation.fallAsleep(directory.sleeper, directory.crews[0]) : null;

  const startedAt = simulation.begin(totalMs);
  const progress = new Progress(options.progress, simulation.counts, startedAt, totalMs, options.devices);
  progress.start();
  try {
    await Promise.all([
      ...directory.phones.map((device) => simulation.runDevice(device)),
      ...directory.crews.map((crew) => simulation.runControlRoom(crew)),
      simulation.snapshotsDuring(admin, Math.max(20_000, totalMs / 6)),
    ]);
  } finally {
    progress.stop();
  }
  // End of the shift: every phone syncs, so the hand-overs have reached both phones and every awake device's
  // position is past the tombstones of the day.
  for (const phone of directory.phones) await simulation.flushQueue(phone);
  for (const phone of directory.phones) await simulation.catchUp(phone);
  const reassignmentsConfirmed = simulation.confirmedReassignments();
  const sleeper =
    directory.sleeper && asleep && expire
      ? await simulation.wake(directory.sleeper, asleep, () => expire(String(tenant.id), directory.sleeper!.id))
      : null;
  for (const phone of directory.phones) await simulation.queueLastEdits(phone);

  const snapshot = await admin.expect('POST', '/api/sync/snapshot/create/', { time_window_hours: 1 }, [201]);
  const dashboard = await admin.expect('GET', '/api/sync/dashboard/');
  const c = simulation.counts;
  const latest = dashboard.latest_snapshot;
  const dashboardUrl = `${base}/dashboard`;
  options.print(
    [
      '',
      `tenant ${tenant.id} "${tenant.name}": ${options.devices} devices of ${technicians} technicians at ` +
        `${directory.crews.length} sites, ${duration(totalMs)}`,
      `  requests ${c.requests} · pushes ${c.pushes} (${c.items} items) · conflicts ${c.conflicts} (manual ${c.manual})` +
        ` · rejected ${c.rejected} · pulls ${c.pulls} · partial syncs ${c.partials} · refused retries ${c.failedRetries}` +
        ` · errors ${c.errors}`,
      `  hand-overs ${c.reassignments} of ${new Set(simulation.reassignments.map((r) => r.mobile_id)).size} work orders` +
        ` (${reassignmentsConfirmed} seen leaving the old assignee's phones and reaching the new one's)` +
        ` · removals received ${c.removals} · replacement syncs ${c.resyncs}`,
      sleeper
        ? `  ${sleeper.device}: pull after sleeping → ${sleeper.pullStatus}, replacement sync ${sleeper.snapshotPages}` +
          ` pages, offline edit ${sleeper.offlineEdit}, holds ${sleeper.held} records` +
          ` (${sleeper.matchesServer ? 'equal to' : 'DIFFERENT from'} the server's)`
        : '  no sleeping phone (needs DATABASE_URL)',
      latest
        ? `  snapshot ${snapshot.snapshot_id}: success ${latest.success_rate_pct} %, conflicts ${latest.conflict_rate_pct} %,` +
          ` p95 ${latest.p95_sync_duration_ms} ms; queue ${dashboard.queue.pending_items} pending` +
          ` (${dashboard.queue.high_priority} high); ${dashboard.unhealthy_devices.length} unhealthy devices shown`
        : `  snapshot ${snapshot.snapshot_id}`,
      ...simulation.errors().map((e) => `  error sample: ${e}`),
      '',
      `Dashboard: ${dashboardUrl}`,
      `Admin key (paste it into the dashboard; shown once): ${adminKey}`,
    ].join('\n'),
  );
  const phones = [...directory.phones, ...(directory.sleeper ? [directory.sleeper] : [])].map((phone) => ({
    device: phone.id,
    user: phone.user,
    holds: [...phone.known.keys()],
    removals: phone.removals,
  }));
  return {
    tenantId: String(tenant.id),
    adminKey,
    dashboardUrl,
    counts: c,
    snapshotId: snapshot.snapshot_id,
    phones,
    reassignments: simulation.reassignments,
    reassignmentsConfirmed,
    sleeper,
  };
}

export function optionsFromArgs(
  args: string[],
  env: Record<string, string | undefined>,
): Omit<SimulateOptions, 'progress' | 'print'> {
  const flags = parseFlags(args);
  const text = (name: string): string | undefined =>
    typeof flags[name] === 'string' ? String(flags[name]) : undefined;
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new SimulateError(`--${name} must be a number from ${min} to ${max}`);
    }
    return value;
  };
  const adminKey = text('admin-key');
  if (adminKey !== undefined && !adminKey.startsWith('fsk_'))
    throw new SimulateError('--admin-key must be an fsk_ key');
  return {
    url: text('url') ?? `http://localhost:${env.PORT ?? '3000'}`,
    devices: Math.round(number('devices', 50, 1, 500)),
    minutes: number('minutes', 5, 0, 720),
    tenantName: text('tenant-name') ?? `Simulated Facilities ${new Date().toISOString().slice(0, 16)}`,
    adminKey,
    seed: Math.round(number('seed', Date.now() % 1_000_000, 0, 2 ** 31)),
    env,
  };
}

if (require.main === module) {
  let options: Omit<SimulateOptions, 'progress' | 'print'>;
  try {
    options = optionsFromArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.stderr.write(
      'usage: npm run simulate -- [--url http://localhost:3000] [--devices 50] [--minutes 5] [--tenant-name N] ' +
        '[--admin-key fsk_...] [--seed N]\n',
    );
    process.exit(2);
  }
  simulate({ ...options, progress: process.stderr, print: (line) => process.stdout.write(`${line}\n`) }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`\nerror: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof SimulateError ? 2 : 1);
    },
  );
}
