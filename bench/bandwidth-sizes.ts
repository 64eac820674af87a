/**
 * Bytes of one realistic pull: 200 tickets of ~30 fields (DOMAINS.md ticket shape plus the common block), each
 * edited in 2 fields since the device's copy, sent as full records or as RFC 6902 patches, raw and compressed with
 * the settings the HTTP layer uses. Run: npx ts-node --transpile-only bench/bandwidth-sizes.ts
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { jsonBytes, jsonPatch } from '../src/modules/bandwidth/bandwidth.policy';
import { BROTLI_QUALITY } from '../src/common/http/compression';

const TICKETS = 200;

/** Deterministic pseudo-random numbers, so the table is reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const random = prng(20250928);
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const hex = (length: number): string => Array.from({ length }, () => int(0, 15).toString(16)).join('');
const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
const at = (day: number, hour: number, minute: number): string =>
  `2025-09-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}+05:30`;

const PROBLEMS = [
  'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
  'Lift 3 grinding noise between floors 6 and 7, passengers reporting jerks on stopping.',
  'AC not cooling in conference room B-204, temperature at 29C since morning.',
  'Fire exit door on stairwell C does not latch, alarm panel shows door open fault.',
  'Washroom tap running continuously on ground floor east wing, valve appears damaged.',
  'Tube light flickering in parking level P2 near pillar 48, area dark at night.',
  'Access card reader at main lobby turnstile 2 rejecting valid cards intermittently.',
  'Pest sighting reported in cafeteria kitchen store room, needs treatment before lunch.',
];
const COMMENTS = ['', 'Plumber called', 'Vendor informed', 'Awaiting spare part', 'Technician on site'];
const SITES = ['Tech Park Tower A', 'Tech Park Tower B', 'Riverside Mall', 'Metro Depot 4'];

function ticket(index: number): Record<string, unknown> {
  const day = int(20, 27);
  const lat = 12.9 + random() / 10;
  const lon = 77.6 + random() / 10;
  return {
    mobile_id: uuid(),
    version: int(1, 6),
    uuid: uuid(),
    sync_status: 'synced',
    last_sync_timestamp: at(28, 8, int(0, 59)),
    created_at: at(day, int(6, 20), int(0, 59)),
    updated_at: at(day + 1, int(6, 20), int(0, 59)),
    cuser: int(1000, 5000),
    muser: int(1000, 5000),
    tenant: 1,
    client: 4,
    bu: pick([58, 61, 77, 90]),
    ctzoffset: 330,
    ticketno: `T${String(4000 + index).padStart(5, '0')}`,
    ticketdesc: pick(PROBLEMS),
    status: pick(['NEW', 'OPEN', 'INPROGRESS', 'ONHOLD']),
    priority: pick(['HIGH', 'MEDIUM', 'LOW']),
    identifier: pick(['TICKET', 'REQUEST']),
    ticketsource: pick(['USERDEFINED', 'SYSTEMGENERATED']),
    assignedtopeople: int(3000, 3400),
    assignedtogroup: random() < 0.5 ? null : int(10, 40),
    ticketcategory: pick([415, 416, 420, 431]),
    location: int(600, 700),
    asset: random() < 0.3 ? null : int(20000, 22000),
    comments: pick(COMMENTS),
    escalation_level: int(0, 2),
    is_escalated: random() < 0.3,
    escalated_at: at(28, int(9, 11), int(0, 59)),
    escalated_by: 'system',
    site_name: pick(SITES),
    gpslocation: `SRID=4326;POINT (${lon.toFixed(6)} ${lat.toFixed(6)})`,
    attachmentcount: int(0, 4),
    performedby: pick(['CoolAir Services', 'AquaFix Plumbing', 'In-house', 'SparkLine Electricals']),
  };
}

function edited(record: Record<string, unknown>): Record<string, unknown> {
  return {
    ...record,
    version: (record.version as number) + 1,
    status: record.status === 'INPROGRESS' ? 'RESOLVED' : 'INPROGRESS',
    comments: pick(['Valve isolated, plumber fixing joint', 'Replaced faulty part', 'Escalated to vendor']),
  };
}

const before = Array.from({ length: TICKETS }, (_, index) => ticket(index));
const after = before.map(edited);
const updatedAt = '2025-09-28T12:00:00Z';

const fullPull = {
  changes: after.map((data) => ({
    domain: 'ticket',
    mobile_id: data.mobile_id,
    version: data.version,
    deleted: false,
    data,
    updated_at: updatedAt,
  })),
  next_cursor: 'eyJzIjoxMjM0NX0',
  has_more: false,
};
const deltaPull = {
  changes: after.map((data, index) => ({
    domain: 'ticket',
    mobile_id: data.mobile_id,
    version: data.version,
    deleted: false,
    base_version: before[index].version,
    patch: jsonPatch(before[index], data).filter((operation) => operation.path !== '/version'),
    updated_at: updatedAt,
  })),
  next_cursor: 'eyJzIjoxMjM0NX0',
  has_more: false,
};

const brotli = (buffer: Buffer): number =>
  brotliCompressSync(buffer, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  }).length;
const gzip = (buffer: Buffer): number => gzipSync(buffer, { level: 6 }).length;

const full = Buffer.from(JSON.stringify(fullPull));
const delta = Buffer.from(JSON.stringify(deltaPull));
const fields = Object.keys(before[0]).length;
const rows: Array<[string, number]> = [
  ['full JSON', full.length],
  ['full JSON + gzip (level 6)', gzip(full)],
  [`full JSON + brotli (quality ${BROTLI_QUALITY})`, brotli(full)],
  ['delta (RFC 6902 patches)', delta.length],
  ['delta + gzip (level 6)', gzip(delta)],
  [`delta + brotli (quality ${BROTLI_QUALITY})`, brotli(delta)],
];

const lines = [
  `# Bandwidth of one pull: ${TICKETS} tickets, ${fields} fields each, 2 fields edited`,
  '',
  `Generated by \`npx ts-node --transpile-only bench/bandwidth-sizes.ts\` (Node ${process.version}). A ticket is`,
  `${Math.round(jsonBytes(after[0]))} B of compact JSON; the pull body is \`{"changes": [...], "next_cursor", "has_more"}\``,
  'as API.md describes it, with full records (`data`) or patches from the version the device holds (`patch`,',
  '`base_version`).',
  '',
  '| body | bytes | % of full JSON | bytes per ticket |',
  '|---|---:|---:|---:|',
  ...rows.map(
    ([name, bytes]) =>
      `| ${name} | ${bytes.toLocaleString('en-US')} | ${((bytes / full.length) * 100).toFixed(1)} % | ${(bytes / TICKETS).toFixed(1)} |`,
  ),
  '',
];
process.stdout.write(lines.join('\n'));
