/**
 * Device simulator: `npm run simulate -- --devices 50 --minutes 5 [--url http://localhost:3000] [--admin-key fsk_...]`.
 * Technicians' phones on mixed networks push realistic edits (with conflicts), pull with cursors and deltas and run
 * partial syncs against a running server, through the public API only; afterwards /dashboard has figures to show.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { parseFlags } from '../src/cli';
import { Data, Domain, newRecord, priorityOf, Random, seededRandom, serverEdit, techEdit } from './simulate-records';

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
const NEW_WEIGHTS: Array<[Domain, number]> = [
  ['journal', 0.15],
  ['attendance', 0.15],
  ['task', 0.3],
  ['ticket', 0.2],
  ['work_order', 0.2],
];
/** Share of a device's turns spent on a refused retry: flaky networks make devices unhealthy. */
const FLAKY_RETRY: Record<Network, number> = { wifi: 0, '4g': 0.02, '3g': 0.08, '2g': 0.35 };
const SHARED: Domain[] = ['task', 'ticket', 'work_order'];
/** Reviewed by a supervisor: this domain's conflicts are not resolved automatically. */
const MANUAL_DOMAIN: Domain = 'work_order';

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
}

export interface SimulateSummary {
  tenantId: string;
  adminKey: string;
  dashboardUrl: string;
  counts: Counts;
  snapshotId: string | null;
}

interface Counts {
  requests: number;
  pushes: number;
  items: number;
  conflicts: number;
  manual: number;
  pulls: number;
  partials: number;
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
      `(manual ${c.manual}) · pulls ${c.pulls} · partial ${c.partials} · errors ${c.errors}`;
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

/** Creates the tenant and its admin key directly in the database, the way `npm run cli -- tenant:create` does. */
async function createTenant(options: SimulateOptions): Promise<{ tenantId: string; adminKey: string }> {
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../src/app.module');
  const { AppConfig } = await import('../src/config/app-config');
  const { TenantService } = await import('../src/modules/tenant/tenant.service');
  const config = AppConfig.fromEnv({ ...options.env, SCHEDULER_ENABLED: 'false' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error'] });
  try {
    const tenants = app.get(TenantService);
    const tenant = await tenants.createTenant(options.tenantName, 'UTC');
    const admin = await tenants.createApiKey(tenant.id, ['admin'], 'simulator', 'simulator admin');
    return { tenantId: tenant.id, adminKey: admin.key };
  } finally {
    await app.close();
  }
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
  userNumber: number;
  network: Network;
  api: Api;
  rnd: Random;
  skewMs: number;
  known: Map<string, { domain: Domain; version: number; data: Data }>;
  cursor: string | null;
  pendingEnqueued: number;
}

class Simulation {
  readonly counts: Counts = {
    requests: 0,
    pushes: 0,
    items: 0,
    conflicts: 0,
    manual: 0,
    pulls: 0,
    partials: 0,
    resyncs: 0,
    failedRetries: 0,
    errors: 0,
  };
  private readonly shared: SharedRecord[] = [];
  private readonly errorSamples: string[] = [];

  constructor(
    private readonly deadline: number,
    private readonly rnd: Random,
  ) {}

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
    const record = this.shared.find((r) => r.mobileId === mobileId);
    if (!record) this.shared.push({ domain, mobileId, version, data });
    else if (version > record.version) Object.assign(record, { version, data });
  }

  private deviceInfo(device: Device): Record<string, string> {
    return {
      network_type: device.network,
      app_version: device.rnd.pick(['5.2.0', '5.2.0', '5.1.3']),
      os_version: device.userNumber % 3 === 0 ? 'iOS 17.5' : 'Android 14',
      device_time: new Date(Date.now() + device.skewMs).toISOString(),
    };
  }

  /** New records and edits; edits start from what the device last saw, which may be stale by now. */
  private pushItems(device: Device, count: number): Array<Record<string, unknown>> {
    const now = new Date(Date.now() + device.skewMs);
    const items: Array<Record<string, unknown>> = [];
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      const editShared = this.shared.length > 3 && device.rnd.chance(0.55);
      const own = [...device.known.entries()].filter(([id, k]) => !SHARED.includes(k.domain) && !used.has(id));
      if (editShared) {
        const record = device.rnd.pick(this.shared);
        if (used.has(record.mobileId)) continue;
        used.add(record.mobileId);
        // A phone that never saw the record downloaded it a while ago: one version behind when there is history.
        // Slow phones sync rarely, so what they know is older still.
        const behind = device.network === '2g' || device.rnd.chance(0.5) ? 1 : 0;
        const mine = device.known.get(record.mobileId) ?? {
          domain: record.domain,
          version: Math.max(1, record.version - behind),
          data: record.data,
        };
        const data = techEdit(record.domain, mine.data, device.rnd, device.userNumber, now);
        items.push(this.item(record.domain, record.mobileId, mine.version, data, now));
      } else if (own.length > 0 && device.rnd.chance(0.3)) {
        const [mobileId, mine] = device.rnd.pick(own);
        used.add(mobileId);
        const data = techEdit(mine.domain, mine.data, device.rnd, device.userNumber, now);
        items.push(this.item(mine.domain, mobileId, mine.version, data, now));
      } else {
        const domain = weighted(device.rnd, NEW_WEIGHTS);
        const data = newRecord(domain, device.rnd, device.userNumber, now);
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

  private async push(device: Device, items: Array<Record<string, unknown>>, mode: 'process' | 'enqueue') {
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
    for (const [index, r] of (result.body.results as any[]).entries()) {
      const sent = items[index];
      if (r.status === 'resolved' || r.status === 'manual_required') this.counts.conflicts++;
      if (r.status === 'manual_required') this.counts.manual++;
      if (r.record) this.remember(device, r.domain, r.mobile_id, r.record.version, r.record.data ?? sent.data);
      else if (r.server_version) this.remember(device, r.domain, r.mobile_id, r.server_version, sent.data as Data);
    }
    if (mode === 'enqueue') device.pendingEnqueued += items.length;
    return result.body;
  }

  private async pull(device: Device): Promise<void> {
    this.counts.requests++;
    const delta = device.rnd.chance(0.5) && device.known.size > 0;
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
      const query = new URLSearchParams({ limit: '100', domains: 'task,ticket,work_order' });
      if (device.cursor) query.set('cursor', device.cursor);
      result = await device.api.call('GET', `/api/v1/sync/pull?${query.toString()}`);
    }
    if (result.status === 410 && result.body?.error?.code === 'RESYNC_REQUIRED') {
      await this.replace(device);
      return;
    }
    if (result.status !== 200) {
      this.noteError(device.id, `pull → ${result.status} ${result.body?.error?.code ?? ''}`);
      return;
    }
    this.counts.pulls++;
    device.cursor = result.body.next_cursor ?? device.cursor;
    for (const change of result.body.changes as any[]) {
      const mine = device.known.get(change.mobile_id);
      const data = change.data ?? mine?.data;
      if (data) this.remember(device, change.domain, change.mobile_id, change.version, data);
    }
  }

  /**
   * The phone slept past the purge horizon: it drops what it holds, pages the snapshot (open work first) and
   * continues the feed from its last cursor. Its unsynced edits keep their base versions and are pushed as usual.
   */
  private async replace(device: Device): Promise<void> {
    device.known.clear();
    let cursor: string | null = null;
    for (;;) {
      this.counts.requests++;
      const query = new URLSearchParams({ limit: '500', domains: 'task,ticket,work_order' });
      if (cursor) query.set('cursor', cursor);
      const page = await device.api.call('GET', `/api/v1/sync/snapshot?${query.toString()}`);
      if (page.status !== 200) {
        this.noteError(device.id, `snapshot → ${page.status} ${page.body?.error?.code ?? ''}`);
        return;
      }
      for (const change of page.body.changes as any[]) {
        this.remember(device, change.domain, change.mobile_id, change.version, change.data);
      }
      cursor = page.body.next_cursor;
      if (!page.body.has_more) break;
    }
    device.cursor = cursor;
    this.counts.resyncs++;
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
        this.noteError(device.id, error instanceof Error ? error.message : String(error));
      }
      const pause = PAUSE_MS[device.network] * (0.5 + device.rnd());
      await sleep(Math.max(0, Math.min(pause, this.deadline - Date.now())));
    } while (Date.now() < this.deadline);
    // Phones out of coverage at the end keep their last edits queued: the dashboard shows them as queue depth.
    if (device.network === '2g' || device.network === '3g') {
      await this.push(device, this.pushItems(device, device.rnd.int(2, 8)), 'enqueue').catch((error: unknown) =>
        this.noteError(device.id, error instanceof Error ? error.message : String(error)),
      );
    }
  }

  /** The control room: escalates tickets and reassigns work while the phones are offline. */
  async runServer(api: Api): Promise<void> {
    const device: Device = {
      id: 'control-room',
      user: 'control-room',
      userNumber: 1,
      network: 'wifi',
      api,
      rnd: this.rnd,
      skewMs: 0,
      known: new Map(),
      cursor: null,
      pendingEnqueued: 0,
    };
    await sleep(1500);
    do {
      const candidates = this.shared.slice(-40);
      if (candidates.length > 0) {
        const picks = [...new Set([...Array(3)].map(() => this.rnd.pick(candidates)))];
        const now = new Date();
        const items = picks.map((r) =>
          this.item(r.domain, r.mobileId, r.version, serverEdit(r.domain, r.data, this.rnd, now), now),
        );
        try {
          await this.push(device, items, 'process');
        } catch (error) {
          this.noteError(device.id, error instanceof Error ? error.message : String(error));
        }
      }
      await sleep(Math.min(1200, Math.max(0, this.deadline - Date.now())));
    } while (Date.now() < this.deadline);
  }

  async snapshotsDuring(admin: Api, everyMs: number): Promise<void> {
    for (;;) {
      await sleep(Math.min(everyMs, Math.max(0, this.deadline - Date.now())));
      if (Date.now() >= this.deadline) return;
      await admin.call('POST', '/api/sync/snapshot/create/', { time_window_hours: 1 }).catch(() => undefined);
    }
  }
}

export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  const base = options.url.replace(/\/+$/, '');
  const live = await fetch(`${base}/health/ready`).catch((error: unknown) => {
    throw new SimulateError(`no server at ${base} (${error instanceof Error ? error.message : String(error)})`);
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

  const rnd = seededRandom(options.seed);
  const technicians = Math.max(1, Math.ceil(options.devices * 0.7));
  const devices: Device[] = [];
  for (let i = 0; i < options.devices; i++) {
    const userNumber = 4100 + (i % technicians);
    const user = `tech-${userNumber}`;
    const id = `sim-${String(i + 1).padStart(3, '0')}-${user}`;
    const created = await admin.expect('POST', '/api/v1/api-keys', {
      name: `simulator ${id}`,
      scopes: ['sync'],
      user_id: user,
    });
    const network = weighted(rnd, NETWORKS);
    devices.push({
      id,
      user,
      userNumber,
      network,
      api: new Api(base, created.api_key, id),
      rnd: seededRandom(options.seed + i + 1),
      skewMs: rnd.int(-90, 90) * 1000,
      known: new Map(),
      cursor: null,
      pendingEnqueued: 0,
    });
  }
  const controlRoom = await admin.expect('POST', '/api/v1/api-keys', {
    name: 'simulator control room',
    scopes: ['sync'],
    user_id: 'control-room',
  });

  const totalMs = Math.round(options.minutes * 60_000);
  const startedAt = Date.now();
  const simulation = new Simulation(startedAt + totalMs, rnd);
  const progress = new Progress(options.progress, simulation.counts, startedAt, totalMs, options.devices);
  progress.start();
  try {
    await Promise.all([
      ...devices.map((device) => simulation.runDevice(device)),
      simulation.runServer(new Api(base, controlRoom.api_key, 'control-room')),
      simulation.snapshotsDuring(admin, Math.max(20_000, totalMs / 6)),
    ]);
  } finally {
    progress.stop();
  }

  const snapshot = await admin.expect('POST', '/api/sync/snapshot/create/', { time_window_hours: 1 }, [201]);
  const dashboard = await admin.expect('GET', '/api/sync/dashboard/');
  const c = simulation.counts;
  const latest = dashboard.latest_snapshot;
  const dashboardUrl = `${base}/dashboard`;
  options.print(
    [
      '',
      `tenant ${tenant.id} "${tenant.name}": ${options.devices} devices of ${technicians} technicians, ${duration(totalMs)}`,
      `  requests ${c.requests} · pushes ${c.pushes} (${c.items} items) · conflicts ${c.conflicts} (manual ${c.manual})` +
        ` · pulls ${c.pulls} · partial syncs ${c.partials} · replacement syncs ${c.resyncs} · refused retries ${c.failedRetries} · errors ${c.errors}`,
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
  return { tenantId: String(tenant.id), adminKey, dashboardUrl, counts: c, snapshotId: snapshot.snapshot_id };
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
