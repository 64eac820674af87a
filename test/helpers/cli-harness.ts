import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { createTestDatabase, TestDatabase } from './test-database';

export interface CliHarness {
  database: TestDatabase;
  /** The environment the commands run with (DATABASE_URL or DATA_DIR of the suite). */
  env(): Record<string, string | undefined>;
  /** Runs one CLI command in-process against the suite's database; returns its exit code and printed lines. */
  run(...argv: string[]): Promise<{ code: number; out: string }>;
}

/** A fresh database (or embedded data folder) for CLI tests, set up and torn down with the suite. */
export function useCliHarness(suite: string, env: Record<string, string> = {}): CliHarness {
  const harness = { database: undefined as unknown as TestDatabase } as CliHarness;
  let dataDir = '';
  let fullEnv: Record<string, string | undefined> = {};
  beforeAll(async () => {
    harness.database = await createTestDatabase(suite);
    dataDir = mkdtempSync(join(tmpdir(), `fieldsync-${suite}-`));
    fullEnv = {
      DATABASE_URL: harness.database.url,
      DATABASE_DIRECT_URL: harness.database.directUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...env,
    };
  });
  afterAll(async () => {
    await harness.database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  harness.env = () => fullEnv;
  harness.run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await runCli(argv, fullEnv, (line) => lines.push(line));
    return { code, out: lines.join('\n') };
  };
  return harness;
}
