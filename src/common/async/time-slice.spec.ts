import { mapInSlices, stringifyInSlices, TimeSlicer } from './time-slice';

/** Busy-waits `ms` of synchronous work. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // work
  }
}

describe('TimeSlicer', () => {
  it('yields to the event loop once a slice is spent, and not before', async () => {
    const slicer = new TimeSlicer(20);
    let immediates = 0;
    const count = (): void => {
      immediates++;
    };
    setImmediate(count);
    await slicer.tick();
    expect(immediates).toBe(0);
    spin(25);
    await slicer.tick();
    expect(immediates).toBe(1);
  });
});

describe('mapInSlices', () => {
  it('maps in order, and lets timers run between slices of a long map', async () => {
    const fired: number[] = [];
    const timer = setInterval(() => fired.push(performance.now()), 1);
    try {
      const out = await mapInSlices(
        Array.from({ length: 30 }, (_, i) => i),
        (value, index) => {
          spin(2);
          return value * 10 + index;
        },
        new TimeSlicer(5),
      );
      expect(out).toEqual(Array.from({ length: 30 }, (_, i) => i * 11));
      // 60 ms of work in slices of 5 ms: the interval fired in between, not only after.
      expect(fired.length).toBeGreaterThan(3);
    } finally {
      clearInterval(timer);
    }
  });

  it('passes a thrown error on', async () => {
    await expect(
      mapInSlices([1, 2, 3], (value) => {
        if (value === 2) throw new Error('two');
        return value;
      }),
    ).rejects.toThrow('two');
  });
});

describe('stringifyInSlices', () => {
  it('gives the text of JSON.stringify', async () => {
    const rows = [
      { a: 1, b: 'x"y', c: [1, { d: null }], e: new Date(0) },
      { skipped: undefined, nested: { deep: true } },
      null,
      'text',
    ];
    await expect(stringifyInSlices(rows)).resolves.toBe(JSON.stringify(rows));
    await expect(stringifyInSlices([])).resolves.toBe('[]');
  });
});
