import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export type RpcRequest = { id: number } & (
  | { op: 'tenant'; name: string }
  | { op: 'token'; tenantId: string; userId: string; scope: string }
  | { op: 'drain'; maxBatches: number }
  | { op: 'gc' }
  | { op: 'purge' }
  | { op: 'close' }
);

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface RpcReply {
  id: number;
  result?: unknown;
  error?: string;
}

/** The fieldsync app running in a child process (ts-node), driven over IPC. */
export class AppServer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (reply: RpcReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** `env`: extra variables for the app process (e.g. BENCH_SKIP_SCOPES for a baseline). */
  static start(
    databaseUrl: string,
    options: { cpuProfDir?: string; env?: Record<string, string> } = {},
  ): Promise<AppServer> {
    const execArgv = ['-r', 'ts-node/register/transpile-only', '--expose-gc'];
    if (options.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
    const child = fork(join(__dirname, '..', 'server.ts'), [], {
      execArgv,
      env: { ...process.env, ...options.env, BENCH_DATABASE_URL: databaseUrl, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`bench server exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (reply: RpcReply) => {
        child.off('exit', onExit);
        resolve(new AppServer(child, String(reply.result)));
      });
    });
  }

  call<T>(request: WithoutId<RpcRequest>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve, reject });
      this.child.send({ ...request, id });
    });
  }

  createTenant(name: string): Promise<string> {
    return this.call<string>({ op: 'tenant', name });
  }

  token(tenantId: string, userId: string, scope: 'sync' | 'admin'): Promise<string> {
    return this.call<string>({ op: 'token', tenantId, userId, scope });
  }

  /** A full garbage collection in the app, then its memory figures (bytes). */
  gc(): Promise<{ rss: number; heapUsed: number; external: number }> {
    return this.call({ op: 'gc' });
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call({ op: 'close' }).catch(() => undefined);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
