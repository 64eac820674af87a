import type { AppServer } from './app-server';

export interface BenchContext {
  quick: boolean;
  /** PostgreSQL server URL (no database path needed). */
  pgUrl: string;
  /** URL of the bench database the app runs on. */
  dbUrl: string;
  /** The app under test, in its own process. */
  app: AppServer;
  /** Scratch folder for this run (peer data, profiles). */
  workDir: string;
  /** Folder with the isolated peer tools (pouchdb-server, autocannon). */
  peerDir: string;
  log(message: string): void;
}

export interface Metric {
  /** What was measured, e.g. "ours: items/s". */
  name: string;
  value: number | string;
  unit?: string;
}

export interface Ratio {
  name: string;
  value: number;
  /** Optional target: ratio must be >= min (or <= max). */
  min?: number;
  max?: number;
}

export interface CaseResult {
  id: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  metrics: Metric[];
  ratios: Ratio[];
  notes: string[];
  seconds: number;
}

export interface BenchCase {
  id: string;
  title: string;
  /** Drives the isolated peer tools of bench/peer (PouchDB Server, autocannon), installed before the run. */
  usesPeer?: boolean;
  run(ctx: BenchContext, result: CaseResult): Promise<void>;
}

export class SkipCase extends Error {}

export function targetMet(ratio: Ratio): boolean | undefined {
  if (ratio.min === undefined && ratio.max === undefined) return undefined;
  return (ratio.min === undefined || ratio.value >= ratio.min) && (ratio.max === undefined || ratio.value <= ratio.max);
}
