import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { HttpClient } from './http';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const client = new HttpClient(url);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        const response = await client.send('GET', '/');
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${url} did not come up in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    client.close();
  }
}

/** A child process serving HTTP (PouchDB Server, the bare Fastify route). */
export class ChildService {
  constructor(
    readonly process: ChildProcess,
    readonly url: string,
  ) {}

  get pid(): number {
    return this.process.pid ?? 0;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
  }
}

/** PouchDB Server with its default LevelDB (leveldown) storage on disk, in its own folder. */
export async function startPouchServer(peerDir: string, workDir: string): Promise<ChildService> {
  const dataDir = join(workDir, 'pouchdb');
  mkdirSync(dataDir, { recursive: true });
  const bin = join(peerDir, 'node_modules', 'pouchdb-server', 'bin', 'pouchdb-server');
  if (!existsSync(bin)) throw new Error(`pouchdb-server is not installed in ${peerDir}`);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, '--port', String(port), '--dir', dataDir, '--config', join(dataDir, 'config.json'), '--no-stdout-logs'],
    { cwd: dataDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, 30_000);
  return new ChildService(child, url);
}

/** A minimal Fastify app in its own process (bench/bare-fastify.ts). */
export async function startBareFastify(databaseUrl: string): Promise<ChildService> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'bare-fastify.ts')],
    {
      env: {
        ...process.env,
        BENCH_DATABASE_URL: databaseUrl,
        BENCH_PORT: String(port),
        TS_NODE_TRANSPILE_ONLY: 'true',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, 30_000);
  return new ChildService(child, url);
}
