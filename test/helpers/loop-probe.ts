/**
 * Preloaded into a service process by `startServerProcess(env, { probe: true })` (`node -r`): the process's own
 * event-loop delay and RSS, measured over a window the test opens and closes through the IPC channel, so that no
 * client work (building, sending and parsing bodies) is counted. Not part of the service.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProbeCost {
  /** Longest event-loop block in the window, ms. */
  loopMs: number;
  /** Peak RSS above the RSS at the window's start, MB (sampled every 10 ms, and at the end). */
  rssMb: number;
}

export type ProbeRequest = { probe: 'start' } | { probe: 'read' };
export type ProbeAnswer = { probe: 'started' } | ({ probe: 'cost' } & ProbeCost);

if (process.send) {
  const send = process.send.bind(process);
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const rss = (): number => process.memoryUsage().rss;
  let before = rss();
  let peak = before;
  setInterval(() => (peak = Math.max(peak, rss())), 10).unref();
  process.on('message', (message: ProbeRequest) => {
    if (message?.probe === 'start') {
      histogram.reset();
      before = peak = rss();
      send({ probe: 'started' } satisfies ProbeAnswer);
    } else if (message?.probe === 'read') {
      peak = Math.max(peak, rss());
      send({ probe: 'cost', loopMs: histogram.max / 1e6, rssMb: (peak - before) / 2 ** 20 } satisfies ProbeAnswer);
    }
  });
  // The channel must not keep the service alive after SIGTERM.
  process.channel?.unref();
}
