/**
 * Child processes for the conformance runs: free ports, spawning with captured output, readiness waits, and the
 * Prism validation proxy (`prism proxy openapi.json <upstream>`) from node_modules/.bin. Used by
 * scripts/conformance.ts and by the e2e harness's `E2E_THROUGH_PRISM=1` mode (test/helpers/test-app.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const root = resolve(__dirname, '../..');

/** One violation of Prism's `sl-violations` header (or of the body of its own 422/500 answers). */
export interface Violation {
  location?: string[];
  severity: string;
  code: string;
  message: string;
}

export interface Started {
  child: ChildProcess;
  /** The last 20 kB of stdout and stderr. */
  output: () => string;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
    server.on('error', fail);
  });
}

/** Polls `url` until it answers below 500; fails when the process exits or after 90 s. */
export async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited: ${output()}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer: ${output()}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

export function start(command: string, args: string[], env: Record<string, string>): Started {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  return { child, output: () => output };
}

/**
 * A Prism validation proxy in front of `upstream`, ready when it answers `/health/live`. With `errors` it answers
 * invalid requests and responses itself (422/500); without, it forwards everything and lists the violations in
 * each answer's `sl-violations` header.
 */
export async function startProxy(upstream: string, errors: boolean): Promise<Started & { url: string }> {
  const port = await freePort();
  const args = ['proxy', 'openapi.json', upstream, '--port', String(port), '--host', '127.0.0.1'];
  args.push(errors ? '--errors' : '--errors=false');
  const proxy = start(join(root, 'node_modules/.bin/prism'), args, {});
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/health/live`, proxy.child, proxy.output);
  } catch (error) {
    proxy.child.kill('SIGKILL');
    throw error;
  }
  return { ...proxy, url };
}

/** The violations Prism lists in an answer's `sl-violations` header. */
export function violationsOf(headers: Headers): Violation[] {
  const header = headers.get('sl-violations');
  return header ? (JSON.parse(header) as Violation[]) : [];
}

/** A violation's cause with item indexes folded (`results.3.record` → `results.N.record`), to group them. */
export function causeOf(violation: Violation): string {
  const where = (violation.location ?? []).map((part) => (/^\d+$/.test(part) ? 'N' : part)).join('.');
  return `${where}: ${(violation.message ?? violation.code ?? 'unknown').replace(/\.\d+\./g, '.N.').replace(/\.\d+ /g, '.N ')}`;
}
