import { AppServer } from '../lib/app-server';
import { round } from '../lib/stats';
import type { BenchCase, BenchContext, CaseResult } from '../lib/types';
import { buildWorkload, runMetrics, runOurs, RunFigures, supervisorsOfSite } from './push';

export const pushScopesCase: BenchCase = {
  id: 'push-scopes',
  title: '1b. Push with sync scopes on vs scope computation skipped (8 devices, batches of 100, 20 % stale)',
  async run(ctx: BenchContext, result: CaseResult): Promise<void> {
    const work = buildWorkload(ctx.quick ? 8_000 : 40_000);
    ctx.log(`push-scopes: ${work.total} items per run`);
    // The baseline runs first, in its own app process on the same database: the scoped run then meets the larger
    // tables, which only counts against it.
    const baselineApp = await AppServer.start(ctx.dbUrl, { env: { BENCH_SKIP_SCOPES: 'true' } });
    let baseline: RunFigures & { statuses: Record<string, number> };
    try {
      baseline = await runOurs(baselineApp, work, (tenant) => supervisorsOfSite(baselineApp, tenant));
    } finally {
      await baselineApp.close();
    }
    ctx.log(`push-scopes baseline (skipped): ${Math.round(baseline.itemsPerSec)} items/s`);
    const scoped = await runOurs(ctx.app, work, (tenant) => supervisorsOfSite(ctx.app, tenant));
    ctx.log(`push-scopes on: ${Math.round(scoped.itemsPerSec)} items/s`);
    for (const [label, f] of [
      ['scopes skipped (BENCH_SKIP_SCOPES)', baseline],
      ['scopes on (default rules)', scoped],
    ] as const) {
      result.metrics.push(...runMetrics(label, f));
    }
    result.ratios.push({
      name: 'push scopes on / skipped (items/s), target >= 0.85',
      value: round(scoped.itemsPerSec / baseline.itemsPerSec, 3),
      min: 0.85,
    });
    result.notes.push(
      `${work.total} items per run; the device users supervise site 58, so no item is refused and both runs do the ` +
        'same writes. The baseline sets BENCH_SKIP_SCOPES=true (a bench-only switch read by AppConfig).',
    );
  },
};
