import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ProbeAnswer, ProbeRequest } from '../helpers/loop-probe';
import type { ServerProcess } from '../helpers/server-process';

/**
 * The Done-when of issue 14: no single request grows the server's RSS by more than 256 MB or blocks its event loop
 * for more than 250 ms. The suites run the server in the test process, so both figures include the client's share
 * (building and parsing the bodies): they are upper bounds of the server's.
 */
export const RSS_BUDGET_MB = 256;
export const LOOP_TARGET_MS = 250;
/**
 * What the tests assert for the event loop: 1 s, so that a loaded 2-core machine does not flake them (the quadratic
 * code this guards against blocked for 7–231 s); the printed figures are compared with the 250 ms target.
 */
export const LOOP_BOUND_MS = 1000;

export interface RequestCost<T> {
  result: T;
  /** Longest event-loop block while `work` ran, ms. */
  loopMs: number;
  /** Peak RSS above the RSS before `work`, MB (sampled every 10 ms, and at the end). */
  rssMb: number;
}

/** Runs one request and measures what it cost this process. */
export async function measureRequest<T>(work: () => Promise<T>): Promise<RequestCost<T>> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  histogram.enable();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, loopMs: histogram.max / 1e6, rssMb: (peak - before) / 2 ** 20 };
  } finally {
    histogram.disable();
    clearInterval(sampler);
  }
}

/** One line per measured request, with the Done-when targets, grep-able as `[done-when]`. */
export function printCost(what: string, status: number, cost: RequestCost<unknown>): void {
  process.stdout.write(
    `[done-when] ${what}: ${status}; RSS +${cost.rssMb.toFixed(1)} MB (budget ${RSS_BUDGET_MB} MB); ` +
      `event loop blocked at most ${cost.loopMs.toFixed(0)} ms (target ${LOOP_TARGET_MS} ms, test bound ${LOOP_BOUND_MS} ms)\n`,
  );
}

/**
 * Runs one request against a service process started with `{ probe: true }` and reads what it cost that process
 * alone (test/helpers/loop-probe.ts): the client's share is not counted.
 */
export async function measureServerRequest<T>(server: ServerProcess, work: () => Promise<T>): Promise<RequestCost<T>> {
  await askProbe(server, { probe: 'start' });
  const result = await work();
  const answer = await askProbe(server, { probe: 'read' });
  if (answer.probe !== 'cost') throw new Error(`unexpected probe answer ${JSON.stringify(answer)}`);
  return { result, loopMs: answer.loopMs, rssMb: answer.rssMb };
}

function askProbe(server: ServerProcess, request: ProbeRequest): Promise<ProbeAnswer> {
  const { child } = server;
  if (!child.send) throw new Error('the service process was started without { probe: true }');
  return new Promise((done, fail) => {
    const onMessage = (answer: ProbeAnswer): void => {
      child.off('exit', onExit);
      done(answer);
    };
    const onExit = (): void => {
      child.off('message', onMessage);
      fail(new Error(`service process exited: ${server.output()}`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(request);
  });
}
