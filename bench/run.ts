// npm run bench [-- --quick] [--only=push,pull] [--cpu-prof]: every case against its baselines, in one run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES } from './cases';
import { AppServer } from './lib/app-server';
import { createBenchDatabase, serverVersion } from './lib/db';
import { machineInfo, renderConsole, renderMarkdown } from './lib/report';
import { BenchContext, CaseResult, SkipCase } from './lib/types';

const BENCH_DIR = __dirname;
const PEER_DIR = join(BENCH_DIR, 'peer');

function ensurePeerTools(): void {
  const marker = join(PEER_DIR, 'node_modules', 'pouchdb-server', 'package.json');
  if (existsSync(marker) && existsSync(join(PEER_DIR, 'node_modules', 'autocannon', 'package.json'))) return;
  process.stderr.write('bench: installing the isolated peer tools (npm ci --prefix bench/peer)...\n');
  execFileSync('npm', ['ci', '--prefix', PEER_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args
    .find((arg) => arg.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const cpuProf = args.includes('--cpu-prof');
  const pgUrl = process.env.BENCH_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const started = Date.now();
  if (CASES.some((benchCase) => benchCase.usesPeer && (!only || only.includes(benchCase.id)))) ensurePeerTools();

  const workDir = join(BENCH_DIR, '.work', `run-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  const database = await createBenchDatabase(pgUrl, 'run');
  const log = (message: string): void => {
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
  };
  const results: CaseResult[] = [];
  let app: AppServer | undefined;
  try {
    log('starting the app (ts-node, own process)');
    app = await AppServer.start(database.url, cpuProf ? { cpuProfDir: join(BENCH_DIR, '.work', 'profiles') } : {});
    const ctx: BenchContext = { quick, pgUrl, dbUrl: database.url, app, workDir, peerDir: PEER_DIR, log };
    for (const benchCase of CASES) {
      if (only && !only.includes(benchCase.id)) continue;
      const result: CaseResult = {
        id: benchCase.id,
        title: benchCase.title,
        status: 'ok',
        metrics: [],
        ratios: [],
        notes: [],
        seconds: 0,
      };
      const caseStarted = Date.now();
      log(`case ${benchCase.id}`);
      try {
        await benchCase.run(ctx, result);
      } catch (error) {
        if (error instanceof SkipCase) {
          result.status = 'skipped';
          result.notes.unshift(`skipped: ${error.message}`);
        } else {
          result.status = 'failed';
          result.notes.unshift(`failed: ${error instanceof Error ? error.message : String(error)}`);
          log(
            `case ${benchCase.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
        }
      }
      result.seconds = (Date.now() - caseStarted) / 1000;
      results.push(result);
    }
  } finally {
    await app?.close();
    await database.drop();
    rmSync(workDir, { recursive: true, force: true });
  }

  const machine = machineInfo(await serverVersion(pgUrl), quick);
  const markdown = renderMarkdown(machine, results, [
    `Total run time ${((Date.now() - started) / 1000).toFixed(0)} s. The app, PouchDB Server and the bare Fastify ` +
      'baseline each run in their own process; load generators run in the bench process on the same cores.',
    ...(process.env.BENCH_NOTE ? [process.env.BENCH_NOTE] : []),
  ]);
  const out = join(BENCH_DIR, only ? 'results.partial.md' : 'results.md');
  writeFileSync(out, markdown);
  process.stdout.write(`\n${renderConsole(results)}\n\nwritten to ${out}\n`);
  if (results.some((result) => result.status === 'failed')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
