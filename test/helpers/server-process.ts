import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for the exit: its code, or the signal Nest re-raises after a graceful close. */
  stop(): Promise<number | string | null>;
  /** SIGKILL: no cleanup at all. */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

export interface ServerProcessOptions {
  /** Preload test/helpers/loop-probe.ts and open an IPC channel to it (measureServerRequest). */
  probe?: boolean;
}

/** Starts the real service (src/main.ts) in its own process and waits until /health/ready answers. */
export async function startServerProcess(
  env: Record<string, string>,
  port?: number,
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const listenPort = port ?? (await freePort());
  // The jest process's DATABASE_DIRECT_URL names the server's admin database, not this one: never inherit it.
  const { DATABASE_DIRECT_URL: _inherited, ...inherited } = process.env;
  const probe = options.probe ? ['-r', './test/helpers/loop-probe.ts'] : [];
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', ...probe, 'src/main.ts'], {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'warn', SCHEDULER_ENABLED: 'false', ...env, PORT: String(listenPort) },
    stdio: options.probe ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${listenPort}`;
  const exited = new Promise<number | string | null>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal)),
  );
  // ts-node compiles the whole service at start-up: two or three processes on a loaded 2-core machine take minutes.
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    try {
      const response = await fetch(`${url}/health/ready`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready: ${output}`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
