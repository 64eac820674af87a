import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppException, ErrorCode } from '../../common/errors/app-exception';

export type DashboardAsset = 'index.html' | 'app.js' | 'styles.css' | 'chart.umd.js';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The folder holding package.json: `src/...` under ts-node and jest, `dist/src/...` after nest build. */
export function projectRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'public'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root (package.json and public/) above ${from}`);
  }
}

function assetPath(asset: DashboardAsset): string {
  // chart.js exports only its ESM and CJS builds; the UMD file for the browser sits beside the CJS one.
  if (asset === 'chart.umd.js') return join(dirname(require.resolve('chart.js')), 'chart.umd.js');
  return join(projectRoot(), 'public', 'dashboard', asset);
}

/** The admin web page's static files, read once and kept in memory (they are small and never change at run time). */
@Injectable()
export class DashboardService {
  private readonly cache = new Map<DashboardAsset, Buffer>();

  asset(asset: DashboardAsset): Buffer {
    let body = this.cache.get(asset);
    if (!body) {
      const path = assetPath(asset);
      if (!existsSync(path)) throw new AppException(ErrorCode.NotFound, `Dashboard file ${asset} is missing`);
      body = readFileSync(path);
      this.cache.set(asset, body);
    }
    return body;
  }
}
