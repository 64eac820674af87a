import { AppServer } from '../lib/app-server';
import { HttpClient } from '../lib/http';
import { round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';
import { Domain, editOf, recordFor } from '../lib/workload';
import { buildWorkload, ItemShape, runOurs, RunFigures, supervisorsOfSite } from './push';

/** The field each domain renamed between app 5.1 (schema version 1) and 5.3 (version 2): one upcast step per item. */
const RENAMED: Record<Domain, { from: string; to: string }> = {
  task: { from: 'remark', to: 'remarks' },
  ticket: { from: 'comment', to: 'comments' },
  work_order: { from: 'performed_by', to: 'performedby' },
};

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? 'number' : typeof value;
}

/** A schema naming every field the workload writes, each typed as the workload's values are (or null). */
function schemaOf(domain: Domain, rename?: { from: string; to: string }): Record<string, unknown> {
  const types = new Map<string, Set<string>>();
  for (let n = 0; n < 60; n++) {
    for (const record of [recordFor(domain, n), editOf(domain, recordFor(domain, n), n)]) {
      for (const [field, value] of Object.entries(record)) {
        const name = rename && field === rename.to ? rename.from : field;
        types.set(name, (types.get(name) ?? new Set(['null'])).add(jsonType(value)));
      }
    }
  }
  const properties = Object.fromEntries([...types].map(([field, set]) => [field, { type: [...set].sort() }]));
  return { type: 'object', required: Object.keys(properties).slice(0, 3), properties };
}

/** Schema versions 1 and 2 of the three domains the workload writes. */
async function putSchemas(app: AppServer, tenant: string): Promise<void> {
  const admin = new HttpClient(app.url, {
    authorization: `Bearer ${await app.token(tenant, 'bench-admin', 'admin')}`,
    'content-type': 'application/json',
  });
  try {
    for (const domain of Object.keys(RENAMED) as Domain[]) {
      const rename = RENAMED[domain];
      for (const body of [
        { version: 1, json_schema: schemaOf(domain, rename) },
        { version: 2, json_schema: schemaOf(domain), upcast: [{ op: 'rename', ...rename }] },
      ]) {
        const response = await admin.send('PUT', `/api/v1/schemas/${domain}`, JSON.stringify(body));
        if (response.status !== 200) {
          throw new Error(`PUT /api/v1/schemas/${domain}: HTTP ${response.status} ${response.body.toString()}`);
        }
      }
    }
  } finally {
    admin.close();
  }
}

/** Every device runs app 5.1: its items are version 1, the renamed field under its old name. */
const OLD_APP: ItemShape = (item) => {
  const { from, to } = RENAMED[item.domain];
  const { [to]: value, ...rest } = item.data;
  return { data: { ...rest, [from]: value }, schema_version: 1 };
};

export const pushShapesCase: BenchCase = {
  id: 'push-shapes',
  title: '1c. Push with schema validation and one upcast step per item vs no schemas (8 devices, 20 % stale)',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const work = buildWorkload(ctx.quick ? 8_000 : 40_000);
    ctx.log(`push-shapes: ${work.total} items per run`);
    // Same app process, one tenant each: the baseline (no schemas, so nothing validated or upcast) runs first, so
    // the shaped run meets the larger tables, which only counts against it.
    // The device users supervise the workload's site (as in push-scopes), so the stale edits are merged, not refused.
    const baseline: RunFigures & { statuses: Record<string, number> } = await runOurs(ctx.app, work, (tenant) =>
      supervisorsOfSite(ctx.app, tenant),
    );
    ctx.log(`push-shapes baseline (no schemas): ${Math.round(baseline.itemsPerSec)} items/s`);
    const shaped = await runOurs(
      ctx.app,
      work,
      async (tenant) => {
        await supervisorsOfSite(ctx.app, tenant);
        await putSchemas(ctx.app, tenant);
      },
      OLD_APP,
    );
    ctx.log(`push-shapes on: ${Math.round(shaped.itemsPerSec)} items/s`);
    for (const [label, f] of [
      ['validation off (no schemas)', baseline],
      ['validation + upcast (v1 items, v2 current)', shaped],
    ] as const) {
      result.metrics.push(
        { name: `${label}: items/s`, value: Math.round(f.itemsPerSec) },
        { name: `${label}: batch p50`, value: round(f.p50, 1), unit: 'ms' },
        { name: `${label}: batch p95`, value: round(f.p95, 1), unit: 'ms' },
        {
          name: `${label}: item statuses`,
          value: Object.entries(f.statuses)
            .map(([status, count]) => `${status} ${count}`)
            .join(', '),
        },
      );
    }
    result.ratios.push({
      name: 'push validation + upcast / off (items/s), target >= 0.85',
      value: round(shaped.itemsPerSec / baseline.itemsPerSec, 3),
      min: 0.85,
    });
    result.notes.push(
      `${work.total} items per run; every pushed item is schema version 1 (one rename step to version 2) and is ` +
        'validated against the compiled version 2 schema of its domain; the seeds are version 2. The baseline ' +
        'tenant has no schemas, so its items pass untouched.',
    );
  },
};
