// fieldsync dashboard: plain ES module, no build. Server strings only ever reach the page as text nodes.
const KEY_STORAGE = 'fieldsync.adminKey';
const DOMAIN_COLORS = {
  journal: '#7c6cf0',
  attendance: '#2aa198',
  task: '#e08a00',
  ticket: '#d33682',
  work_order: '#268bd2',
};
const REVIEWS_SHOWN = 25;
const REFRESH_MS = 60_000;
// Bookkeeping fields that every edit changes: listed after the fields a reviewer cares about.
const BOOKKEEPING_FIELDS = ['version', 'updated_at', 'last_sync_timestamp', 'sync_status', 'muser'];
const charts = {};

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function getKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${getKey()}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = parsed && parsed.error ? parsed.error : {};
    throw new ApiError(response.status, error.code || 'HTTP_' + response.status, error.message || response.statusText);
  }
  return parsed;
}

/** A DOM element with text children only. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'className') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fillBody(tableId, rows, emptyText, columns) {
  const tbody = $(tableId).tBodies[0];
  tbody.replaceChildren(
    ...(rows.length ? rows : [el('tr', { className: 'empty' }, el('td', { colspan: columns }, emptyText))]),
  );
}

function pct(value) {
  return typeof value === 'number' ? `${value.toFixed(1)} %` : '–';
}

function ms(value) {
  if (typeof value !== 'number') return '–';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

function when(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function ago(iso) {
  const minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60000);
  if (!Number.isFinite(minutes)) return '';
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} d ago`;
}

function showStatus(message, kind = 'info') {
  const status = $('status');
  status.hidden = !message;
  status.className = `status ${kind}`;
  status.textContent = message || '';
}

function askForKey(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  $('dashboard').hidden = true;
  $('toolbar').hidden = true;
  $('tenant-name').textContent = '';
  $('key-section').hidden = false;
  const error = $('key-error');
  error.hidden = !message;
  error.textContent = message || '';
  showStatus('');
  $('key-input').value = '';
  $('key-input').focus();
}

function handleError(error, what) {
  if (error instanceof ApiError && error.status === 401) {
    askForKey('The key was not accepted (401). Enter an admin API key.');
  } else if (error instanceof ApiError && error.status === 403) {
    askForKey('This key lacks the admin scope (403). Enter an admin API key.');
  } else if (error instanceof ApiError) {
    showStatus(`${what}: ${error.status} ${error.code} — ${error.message}`, 'error');
  } else {
    showStatus(`${what}: ${error && error.message ? error.message : String(error)}`, 'error');
  }
}

function chartAvailable() {
  return typeof Chart === 'function';
}

function upsertChart(name, canvasId, config) {
  if (!chartAvailable()) return;
  const existing = charts[name];
  if (existing && existing.config.type === config.type) {
    existing.data = config.data;
    existing.update();
    return;
  }
  if (existing) existing.destroy();
  charts[name] = new Chart($(canvasId), config);
}

const BASE_OPTIONS = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  plugins: { legend: { position: 'bottom' } },
};

function trendLabels(trend) {
  return trend.map((point) => {
    const date = new Date(point.timestamp);
    return date.toISOString().slice(5, 16).replace('T', ' ');
  });
}

function renderTrend(trend) {
  $('trend-empty').hidden = trend.length > 0;
  upsertChart('trend', 'trend-chart', {
    type: 'line',
    data: {
      labels: trendLabels(trend),
      datasets: [
        {
          label: 'Success rate %',
          data: trend.map((p) => p.success_rate_pct),
          borderColor: '#2e9d57',
          backgroundColor: 'rgba(46,157,87,0.15)',
          tension: 0.25,
          pointRadius: 3,
        },
        {
          label: 'Conflict rate %',
          data: trend.map((p) => p.conflict_rate_pct),
          borderColor: '#d9480f',
          backgroundColor: 'rgba(217,72,15,0.15)',
          tension: 0.25,
          pointRadius: 3,
        },
      ],
    },
    options: { ...BASE_OPTIONS, scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } } },
  });
  upsertChart('p95', 'p95-chart', {
    type: 'bar',
    data: {
      labels: trendLabels(trend),
      datasets: [{ label: 'p95 ms', data: trend.map((p) => p.p95_sync_duration_ms), backgroundColor: '#5470c6' }],
    },
    options: { ...BASE_OPTIONS, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });
}

function renderFigures(dashboard) {
  const snapshot = dashboard.latest_snapshot;
  $('fig-success').textContent = snapshot ? pct(snapshot.success_rate_pct) : '–';
  $('fig-conflict').textContent = snapshot ? pct(snapshot.conflict_rate_pct) : '–';
  $('fig-p95').textContent = snapshot ? ms(snapshot.p95_sync_duration_ms) : '–';
  $('fig-requests').textContent = snapshot ? String(snapshot.total_sync_requests) : '–';
  $('fig-window').textContent = snapshot
    ? `${when(snapshot.window_start)} → ${when(snapshot.window_end)}, ${snapshot.unique_devices} devices`
    : 'no snapshot yet: use “Create snapshot”';
  $('queue-pending').textContent = String(dashboard.queue.pending_items);
  $('queue-high').textContent = String(dashboard.queue.high_priority);
  $('queue-high').classList.toggle('warn', dashboard.queue.high_priority > 0);
}

function renderHotspots(hotspots) {
  upsertChart('hotspots', 'hotspots-chart', {
    type: 'bar',
    data: {
      labels: hotspots.map((h) => h.domain),
      datasets: [
        {
          label: 'Conflicts',
          data: hotspots.map((h) => h.conflict_count),
          backgroundColor: hotspots.map((h) => DOMAIN_COLORS[h.domain] || '#888'),
        },
      ],
    },
    options: {
      ...BASE_OPTIONS,
      indexAxis: 'y',
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  fillBody(
    'hotspots-table',
    hotspots.map((h) =>
      el(
        'tr',
        { dataset: { testid: `hotspot-${h.domain}`, domain: h.domain } },
        el('td', {}, h.domain),
        el('td', { className: 'num' }, h.conflict_count),
      ),
    ),
    'No conflicts in the last 7 days.',
    2,
  );
}

function renderAppVersions(versions, upcast) {
  $('upcast-count').textContent = String(upcast ?? 0);
  fillBody(
    'app-versions-table',
    (versions || []).map((v) =>
      el(
        'tr',
        { dataset: { testid: `app-version-${v.app_version ?? 'unknown'}` } },
        el('td', {}, v.app_version ?? 'unknown'),
        el('td', { className: 'num' }, v.devices),
        el('td', {}, ago(v.last_sync_at)),
      ),
    ),
    'No device synced in the last 30 days.',
    3,
  );
}

function renderDevices(devices, networks) {
  fillBody(
    'devices-table',
    devices.map((d) => {
      const score = el(
        'span',
        { className: `score ${d.health_score < 50 ? 'bad' : 'meh'}` },
        d.health_score.toFixed(1),
      );
      return el(
        'tr',
        { dataset: { testid: `device-${d.device_id}`, deviceId: d.device_id } },
        el('td', { className: 'mono' }, d.device_id),
        el('td', {}, d.user_id || '–'),
        el('td', { className: 'num' }, score),
        el('td', { title: when(d.last_sync_at) }, ago(d.last_sync_at)),
        el('td', {}, networks.get(d.device_id) || '–'),
      );
    }),
    'Every device is healthy.',
    5,
  );
}

function renderPositions(page) {
  $('purge-horizon').textContent = page.purge_horizon > 0 ? `(history purged below ${page.purge_horizon})` : '';
  fillBody(
    'positions-table',
    page.devices.map((d) =>
      el(
        'tr',
        { dataset: { testid: `position-${d.device_id}`, deviceId: d.device_id } },
        el('td', { className: 'mono' }, d.device_id),
        el('td', {}, d.user_id || '–'),
        el('td', { className: 'num' }, String(d.position)),
        el(
          'td',
          { className: 'num', title: d.resync_required ? 'below the purge horizon: its next pull is a 410' : '' },
          `${d.behind_by}${d.behind_by_capped ? '+' : ''}${d.resync_required ? ' · resync' : ''}`,
        ),
        el('td', { title: when(d.last_seen_at) }, ago(d.last_seen_at)),
      ),
    ),
    'No device has pulled yet.',
    5,
  );
}

function renderAlerts(alerts) {
  fillBody(
    'alerts-table',
    alerts.map((a) =>
      el(
        'tr',
        { dataset: { testid: `alert-${a.kind}` } },
        el('td', {}, el('span', { className: 'badge warn' }, a.kind)),
        el('td', {}, a.message),
        el('td', {}, when(a.opened_at)),
      ),
    ),
    'No open alerts.',
    3,
  );
}

/** The fields the reviewer decides, as the server's merge recorded them. */
function conflictingFields(conflict) {
  const fields = (conflict.merge_details && conflict.merge_details.conflicting_fields) || [];
  const bookkeeping = (f) => BOOKKEEPING_FIELDS.includes(f);
  return [...fields.filter((f) => !bookkeeping(f)), ...fields.filter(bookkeeping)];
}

function renderReviews({ items, total }) {
  $('reviews-count').textContent = String(total);
  $('reviews-more').hidden = total <= items.length;
  $('reviews-more').textContent = `Showing the ${items.length} newest of ${total}.`;
  fillBody(
    'reviews-table',
    items.map((c) => {
      const fields = conflictingFields(c);
      const summary = fields.slice(0, 4).map((f) => {
        const fmt = (v) => (v === undefined ? '∅' : JSON.stringify(v)).slice(0, 40);
        return el(
          'div',
          { className: 'diff' },
          el('b', {}, f),
          ': ',
          el('span', { className: 'client' }, fmt((c.client_entry || {})[f])),
          ' vs ',
          el('span', { className: 'server' }, fmt((c.server_entry || {})[f])),
        );
      });
      if (fields.length > 4) summary.push(el('div', { className: 'muted' }, `+${fields.length - 4} more`));
      const button = (choose, label) =>
        el(
          'button',
          {
            type: 'button',
            className: choose === 'client' ? 'choose client' : 'choose server',
            dataset: { testid: `resolve-${choose}-${c.id}`, conflictId: c.id, choose },
            title: `Keep the ${choose} copy as the record's next version`,
          },
          label,
        );
      return el(
        'tr',
        { dataset: { testid: `review-${c.id}`, conflictId: c.id } },
        el('td', { title: when(c.created_at) }, ago(c.created_at)),
        el('td', {}, c.domain),
        el('td', { className: 'mono' }, (c.mobile_id || '–').slice(0, 13)),
        el('td', {}, `${c.device_id || '–'} / ${c.user_id || '–'}`),
        el('td', {}, ...(summary.length ? summary : ['(no conflicting field)'])),
        el('td', { className: 'actions' }, button('client', 'Client'), button('server', 'Server')),
      );
    }),
    'Nothing waits for review.',
    6,
  );
}

async function loadDeviceNetworks(unhealthy) {
  const networks = new Map();
  if (unhealthy.length === 0) return networks;
  // The dashboard lists no network; the device list has it. Scores are recomputed on read, so leave a margin.
  const maxHealth = Math.min(100, Math.ceil(Math.max(...unhealthy.map((d) => d.health_score))) + 1);
  const page = await api('GET', `/api/v1/analytics/devices?max_health=${maxHealth}&limit=500`);
  for (const device of page.items) networks.set(device.device_id, device.network_type);
  return networks;
}

/** The newest conflicts awaiting review, and how many await it in all. */
async function loadReviews() {
  const [page, report] = await Promise.all([
    api('GET', `/api/v1/conflicts?awaiting_review=true&limit=${REVIEWS_SHOWN}`),
    api('GET', '/api/v1/conflicts/report?days=1'),
  ]);
  return { items: page.items, total: report.pending_reviews };
}

let loading = null;

async function load() {
  if (loading) return loading;
  loading = (async () => {
    try {
      const [dashboard, tenant, reviews, positions] = await Promise.all([
        api('GET', '/api/sync/dashboard/'),
        api('GET', '/api/v1/tenant').catch(() => null),
        loadReviews(),
        api('GET', '/api/v1/sync/devices?limit=100').catch(() => ({ devices: [], purge_horizon: 0 })),
      ]);
      const networks = await loadDeviceNetworks(dashboard.unhealthy_devices).catch(() => new Map());
      $('key-section').hidden = true;
      $('dashboard').hidden = false;
      $('toolbar').hidden = false;
      $('tenant-name').textContent = tenant ? `tenant ${tenant.id} · ${tenant.name}` : '';
      renderFigures(dashboard);
      renderTrend(dashboard.trend_7days);
      renderHotspots(dashboard.conflict_hotspots);
      renderAppVersions(dashboard.app_versions, dashboard.upcast_items_7days);
      renderDevices(dashboard.unhealthy_devices, networks);
      renderAlerts(dashboard.open_alerts);
      renderPositions(positions);
      renderReviews(reviews);
      $('updated-at').textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
      if (!chartAvailable()) showStatus('Charts unavailable: /dashboard/vendor/chart.umd.js did not load.', 'error');
      else if ($('status').classList.contains('error')) showStatus('');
      document.body.dataset.loaded = 'true';
    } catch (error) {
      handleError(error, 'Loading the dashboard failed');
    } finally {
      loading = null;
    }
  })();
  return loading;
}

async function resolveConflict(button) {
  const { conflictId, choose } = button.dataset;
  const row = button.closest('tr');
  for (const b of row.querySelectorAll('button')) b.disabled = true;
  try {
    await api('POST', `/api/v1/conflicts/${encodeURIComponent(conflictId)}/resolve`, { choose });
    showStatus(`Conflict ${conflictId} resolved: the ${choose} copy was kept.`, 'ok');
  } catch (error) {
    handleError(error, `Resolving conflict ${conflictId} failed`);
    for (const b of row.querySelectorAll('button')) b.disabled = false;
    if (!(error instanceof ApiError && error.status === 409)) return;
  }
  await load();
}

async function createSnapshot() {
  const button = $('create-snapshot');
  button.disabled = true;
  try {
    const created = await api('POST', '/api/sync/snapshot/create/', { time_window_hours: 1 });
    showStatus(`Snapshot ${created.snapshot_id} created for the last hour.`, 'ok');
    await load();
  } catch (error) {
    handleError(error, 'Creating a snapshot failed');
  } finally {
    button.disabled = false;
  }
}

function start() {
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key-input').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('key-input').value = '';
    $('key-error').hidden = true;
    void load();
  });
  $('refresh').addEventListener('click', () => void load());
  $('create-snapshot').addEventListener('click', () => void createSnapshot());
  $('forget-key').addEventListener('click', () => askForKey(''));
  $('reviews-table').addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button.choose') : null;
    if (button) void resolveConflict(button);
  });
  if (getKey()) void load();
  else askForKey('');
  setInterval(() => {
    if (getKey() && document.visibilityState === 'visible') void load();
  }, REFRESH_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
