import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { pushItem, taskData, ticketData } from '../factories/records';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

// Browser globals inside page.evaluate callbacks (the test project compiles without the DOM library).
declare const document: any;
declare const window: any;
declare const sessionStorage: any;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Every run saves its screenshot under test/artifacts/; UPDATE_SCREENSHOT=1 refreshes the one docs/dashboard.md shows.
const SCREENSHOT = resolve(
  __dirname,
  process.env.UPDATE_SCREENSHOT ? '../../docs/dashboard.png' : '../artifacts/dashboard.png',
);

function workOrderData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    identifier: 'WO',
    description: 'Chiller 2 quarterly PPM - condenser tube cleaning',
    workstatus: 'ASSIGNED',
    priority: 'MEDIUM',
    workpermit: 'NOT_REQUIRED',
    asset: 20455,
    location: 612,
    vendor: 71,
    attachmentcount: 0,
    other_data: { reply_from_vendor: '' },
    ...overrides,
  };
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the dashboard page in headless Chromium', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let browser: Browser;
  let manualConflictId: string;
  let dashboard: any;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: the dashboard browser test needs it (apt-get install chromium, ` +
          'or set CHROMIUM_PATH). It is not skipped on purpose.',
      );
    }
    t = await startTestApp('dashboard_browser');
    tenant = await t.createTenant('Acme Facilities');
    await seed();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Pushes with conflicts in task and ticket, a manual work-order conflict, a queue, a flaky 2G phone, a snapshot. */
  async function seed(): Promise<void> {
    const admin = tenant.adminKey;
    const tablet = await tenant.syncKeyFor('tech-1');
    // The tablet's technician on a second phone: a colleague outside the records' groups may not edit them.
    const phone = await tenant.syncKeyFor('tech-1');
    const push = (key: string, device: string, items: unknown[], extra: object = {}) =>
      call(t, 'POST', '/api/v1/sync/push', { key, device, body: { items, ...extra } });
    const policy = await call(t, 'PUT', '/api/v1/conflict-policies/work_order', {
      key: admin,
      body: { resolution_policy: 'most_recent_wins', auto_resolve: false },
    });
    expect(policy.status).toBe(200);

    const tasks = [...Array(3)].map(() => pushItem({ domain: 'task', data: taskData() }));
    const tickets = [...Array(2)].map(() => pushItem({ domain: 'ticket', data: ticketData() }));
    const order = pushItem({ domain: 'work_order', data: workOrderData() });
    const wifi = { device_info: { network_type: 'wifi', app_version: '5.2.0', os_version: 'Android 14' } };
    expect((await push(tablet, 'tablet-wifi', [...tasks, ...tickets, order], wifi)).status).toBe(200);
    // The control room moves on while the 2G phone is offline ...
    // Escalation and reassignment are supervisor-only under the default sync rules: the control room pushes them
    // with the admin credential.
    const moved = await push(
      admin,
      'tablet-wifi',
      [
        ...tasks.map((i) =>
          pushItem({
            domain: 'task',
            mobile_id: i.mobile_id,
            base_version: 1,
            data: taskData({ jobstatus: 'INPROGRESS' }),
            client_updated_at: '2025-09-28T12:00:00Z',
          }),
        ),
        ...tickets.map((i) =>
          pushItem({
            domain: 'ticket',
            mobile_id: i.mobile_id,
            base_version: 1,
            data: ticketData({ escalation_level: 1, escalated_at: '2025-09-28T11:40:00Z', escalated_by: 'system' }),
          }),
        ),
        pushItem({
          domain: 'work_order',
          mobile_id: order.mobile_id,
          base_version: 1,
          data: workOrderData({ workstatus: 'RE_ASSIGNED' }),
        }),
      ],
      wifi,
    );
    expect(moved.body.results.map((r: { status: string }) => r.status)).toEqual(Array(6).fill('applied'));
    // ... which then pushes its edits of the old versions.
    const offline = await push(
      phone,
      'phone-2g',
      [
        ...tasks.map((i) =>
          pushItem({
            domain: 'task',
            mobile_id: i.mobile_id,
            base_version: 1,
            data: taskData({ remarks: 'gauge low' }),
            client_updated_at: '2025-09-28T11:00:00Z',
          }),
        ),
        ...tickets.map((i) =>
          pushItem({
            domain: 'ticket',
            mobile_id: i.mobile_id,
            base_version: 1,
            data: ticketData({ comments: 'on site' }),
          }),
        ),
        pushItem({
          domain: 'work_order',
          mobile_id: order.mobile_id,
          base_version: 1,
          data: workOrderData({ workstatus: 'INPROGRESS', other_data: { reply_from_vendor: 'Tubes 60% done' } }),
        }),
      ],
      { device_info: { network_type: '2g', app_version: '5.1.3', os_version: 'Android 12' } },
    );
    const statuses = offline.body.results.map((r: { status: string }) => r.status);
    expect(statuses).toEqual([...Array(5).fill('resolved'), 'manual_required']);
    manualConflictId = offline.body.results[5].conflict_id;
    // Retries that reuse a mutation id with another payload fail: the phone's health drops.
    const reused = pushItem();
    await push(phone, 'phone-2g', [reused], { device_info: { network_type: '2g' } });
    for (let n = 0; n < 3; n++) {
      expect((await push(phone, 'phone-2g', [{ ...reused, data: taskData({ n }) }])).status).toBe(409);
    }
    // Queued for later: two high-priority items and one low.
    const queued = await push(
      phone,
      'phone-2g',
      [
        pushItem({ priority: 'high' }),
        pushItem({ priority: 'high', domain: 'ticket', data: ticketData() }),
        pushItem({ priority: 'low' }),
      ],
      { mode: 'enqueue' },
    );
    expect(queued.body.remaining).toBe(3);
    await eventually(
      () => t.db.query(`SELECT count(*)::int AS n FROM sync_event WHERE tenant_id = $1`, [tenant.id]),
      (rows: Array<{ n: number }>) => rows[0].n >= 8,
    );
    expect((await call(t, 'POST', '/api/sync/snapshot/create/', { key: admin, body: {} })).status).toBe(201);
    dashboard = (await call(t, 'GET', '/api/sync/dashboard/', { key: admin })).body;
    expect(dashboard.queue).toEqual({ pending_items: 3, high_priority: 2 });
    expect(dashboard.unhealthy_devices.map((d: { device_id: string }) => d.device_id)).toContain('phone-2g');
    // A device position as a pull records it (without a pull: the seeded sync figures stay as they are).
    await t.db.query(
      `INSERT INTO sync_device_cursor (tenant_id, user_id, device_id, cursor, seen_at) VALUES ($1, 'tech-1', 'phone-2g', 0, now())`,
      [tenant.id],
    );
  }

  async function openDashboard(page: Page): Promise<void> {
    await page.goto(`${t.url}/dashboard`);
    await page.locator('[data-testid="key-input"]').fill(tenant.adminKey);
    await page.locator('[data-testid="key-submit"]').click();
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
  }

  it('renders the seeded figures, charts and tables and resolves a manual conflict with the admin key', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    const urls: string[] = [];
    const apiAuth = new Set<string>();
    const problems: string[] = [];
    page.on('request', (request) => {
      urls.push(request.url());
      if (new URL(request.url()).pathname.startsWith('/api/')) apiAuth.add(request.headers()['authorization']);
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });

    await openDashboard(page);
    const text = (testid: string) => page.locator(`[data-testid="${testid}"]`).innerText();

    expect(await text('queue-pending')).toBe('3');
    expect(await text('queue-high')).toBe('2');
    const snapshot = dashboard.latest_snapshot;
    expect(await text('fig-success')).toBe(`${snapshot.success_rate_pct.toFixed(1)} %`);
    expect(await text('fig-conflict')).toBe(`${snapshot.conflict_rate_pct.toFixed(1)} %`);
    expect(await text('fig-requests')).toBe(String(snapshot.total_sync_requests));
    expect(await text('tenant-name')).toContain('Acme Facilities');

    for (const domain of ['task', 'ticket', 'work_order']) {
      const expected = dashboard.conflict_hotspots.find((h: { domain: string }) => h.domain === domain);
      expect(await page.locator(`[data-testid="hotspot-${domain}"] td.num`).innerText()).toBe(
        String(expected.conflict_count),
      );
    }
    expect(dashboard.conflict_hotspots).toEqual(
      expect.arrayContaining([
        { domain: 'task', conflict_count: 3 },
        { domain: 'ticket', conflict_count: 2 },
        { domain: 'work_order', conflict_count: 1 },
      ]),
    );

    const deviceRows = page.locator('#devices-table tbody tr');
    expect(await deviceRows.evaluateAll((rows) => rows.map((r) => (r as any).dataset.deviceId))).toEqual(
      dashboard.unhealthy_devices.map((d: { device_id: string }) => d.device_id),
    );
    const phoneRow = page.locator('[data-testid="device-phone-2g"] td');
    expect(await phoneRow.nth(1).innerText()).toBe('tech-1');
    const phoneScore = dashboard.unhealthy_devices.find((d: { device_id: string }) => d.device_id === 'phone-2g');
    expect(await phoneRow.nth(2).innerText()).toBe(phoneScore.health_score.toFixed(1));
    expect(await phoneRow.nth(4).innerText()).toBe('2g');

    // App versions in use (device health) and the upcast count of the last 7 days.
    expect(dashboard.app_versions.map((v: { app_version: string }) => v.app_version)).toEqual(
      expect.arrayContaining(['5.2.0', '5.1.3']),
    );
    for (const version of dashboard.app_versions) {
      const row = page.locator(`[data-testid="app-version-${version.app_version ?? 'unknown'}"] td`);
      expect(await row.nth(1).innerText()).toBe(String(version.devices));
    }
    expect(await page.locator('[data-testid="upcast-count"]').innerText()).toBe(String(dashboard.upcast_items_7days));

    const position = page.locator('[data-testid="position-phone-2g"] td');
    expect(await position.nth(1).innerText()).toBe('tech-1');
    expect(await position.nth(2).innerText()).toBe('0');
    const records = await t.db.query(`SELECT count(*)::int AS n FROM sync_record WHERE tenant_id = $1`, [tenant.id]);
    expect(await position.nth(3).innerText()).toBe(String(records[0].n));

    const alerts = await page.locator('#alerts-table tbody tr').allInnerTexts();
    for (const alert of dashboard.open_alerts) expect(alerts.join('\n')).toContain(alert.message);
    expect(dashboard.open_alerts.map((a: { kind: string }) => a.kind)).toContain('conflict_rate_high');

    const charts = await page.evaluate(() =>
      ['trend-chart', 'p95-chart', 'hotspots-chart'].map((id) => {
        const canvas = document.getElementById(id);
        const chart = window.Chart.getChart(canvas);
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return {
          id,
          type: chart?.config.type,
          width: canvas.width,
          height: canvas.height,
          labels: chart?.data.labels.length,
          first: chart?.data.datasets[0].data,
          painted,
        };
      }),
    );
    for (const chart of charts) {
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.height).toBeGreaterThan(50);
      expect(chart.painted).toBeGreaterThan(500);
    }
    expect(charts[0]).toMatchObject({ type: 'line', labels: dashboard.trend_7days.length });
    expect(charts[0].first).toEqual(dashboard.trend_7days.map((p: { success_rate_pct: number }) => p.success_rate_pct));
    expect(charts[2]).toMatchObject({ type: 'bar', labels: dashboard.conflict_hotspots.length });

    const review = page.locator(`[data-testid="review-${manualConflictId}"]`);
    await review.waitFor();
    expect(await text('reviews-count')).toBe('1');
    expect(await review.innerText()).toContain('work_order');
    // The one field both sides changed, as the server's merge recorded it; other_data changed on the phone only.
    expect(await review.locator('.diff b').allInnerTexts()).toEqual(['workstatus']);
    expect(urls.filter((u) => new URL(u).pathname === '/api/v1/conflicts')).toEqual([
      `${t.url}/api/v1/conflicts?awaiting_review=true&limit=25`,
    ]);
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await page.locator(`[data-testid="resolve-client-${manualConflictId}"]`).click();
    await review.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await text('reviews-count')).toBe('0');
    expect(await text('status')).toContain('resolved');
    const resolved = await call(t, 'GET', `/api/v1/conflicts/${manualConflictId}`, { key: tenant.adminKey });
    expect(resolved.body).toMatchObject({ resolution_result: 'manual_required', resolved_by: expect.any(String) });
    expect(resolved.body.resolved_at).not.toBeNull();

    // The key stays in this tab's session: a reload needs no key, and no URL ever carried it.
    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.locator('[data-testid="key-section"]').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('fieldsync.adminKey'))).toBe(tenant.adminKey);
    expect(urls.length).toBeGreaterThan(5);
    expect(urls.filter((u) => u.includes(tenant.adminKey))).toEqual([]);
    expect(page.url()).toBe(`${t.url}/dashboard`);
    expect([...apiAuth]).toEqual([`Bearer ${tenant.adminKey}`]);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('asks for the key again when the server refuses it (401)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.url}/dashboard`);
    await page.evaluate(() => sessionStorage.setItem('fieldsync.adminKey', 'fsk_not_a_real_key'));
    await page.reload();
    await page.locator('[data-testid="key-error"]').waitFor();
    expect(await page.locator('[data-testid="key-error"]').innerText()).toContain('401');
    expect(await page.locator('[data-testid="dashboard"]').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('fieldsync.adminKey'))).toBeNull();

    const sync = await tenant.syncKeyFor('tech-9');
    await page.locator('[data-testid="key-input"]').fill(sync);
    await page.locator('[data-testid="key-submit"]').click();
    await page.waitForFunction(() => document.getElementById('key-error').textContent.includes('403'));
    expect(page.url()).not.toContain(sync);
    await context.close();
  }, 60_000);
});
