import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Milliseconds of synchronous work between two yields to the event loop. A push of 1,000 items filling the body
 * limit spends 100–300 ms on per-item work (hashing, serialising); in slices of this size other requests and health
 * checks wait at most about one slice for it.
 */
export const SLICE_MS = 10;

/**
 * Splits long synchronous work into slices: `tick()` after each unit of work yields to the event loop
 * (`setImmediate`, so I/O callbacks and timers run) once `sliceMs` have passed since the last yield, and costs only
 * a clock read otherwise.
 */
export class TimeSlicer {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  async tick(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await nextTurn();
    this.sliceStart = performance.now();
  }
}

/** `items.map(work)` in slices of the event loop (see TimeSlicer); `work` stays synchronous. */
export async function mapInSlices<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => R,
  slicer = new TimeSlicer(),
): Promise<R[]> {
  const out = new Array<R>(items.length);
  for (let index = 0; index < items.length; index++) {
    out[index] = work(items[index], index);
    await slicer.tick();
  }
  return out;
}

/**
 * `JSON.stringify(rows)` of an array, built row by row in slices of the event loop: one call over a 10 MiB batch
 * held the loop for 20–90 ms, once per statement that sends the batch. The text is the same as JSON.stringify's.
 */
export async function stringifyInSlices(rows: readonly unknown[], slicer = new TimeSlicer()): Promise<string> {
  const parts = await mapInSlices(rows, (row) => JSON.stringify(row) ?? 'null', slicer);
  return `[${parts.join(',')}]`;
}
