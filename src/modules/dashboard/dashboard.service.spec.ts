import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardService, projectRoot } from './dashboard.service';

describe(DashboardService.name, () => {
  it('finds the project root from the sources and from the nest build output (dist/src/...)', () => {
    const root = mkdtempSync(join(tmpdir(), 'fieldsync-root-'));
    try {
      writeFileSync(join(root, 'package.json'), '{}');
      mkdirSync(join(root, 'public'));
      mkdirSync(join(root, 'src/modules/dashboard'), { recursive: true });
      mkdirSync(join(root, 'dist/src/modules/dashboard'), { recursive: true });
      expect(projectRoot(join(root, 'src/modules/dashboard'))).toBe(root);
      expect(projectRoot(join(root, 'dist/src/modules/dashboard'))).toBe(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('serves the page, its script and the Chart.js UMD build from disk', () => {
    const service = new DashboardService();
    expect(service.asset('index.html').toString()).toContain('<canvas id="trend-chart"');
    expect(service.asset('app.js').toString()).toContain('sessionStorage');
    expect(service.asset('chart.umd.js').toString()).toContain('Chart.js v4');
  });
});
