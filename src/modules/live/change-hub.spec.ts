import { ChangeHub, ChangeSubscription } from './change-hub';
import type { ChangeSignal } from './change-signal';
import { decodeSignal, encodeSignal } from './change-signal';

const tick = (): Promise<void> => new Promise((done) => setImmediate(done));

function reader(tenantId: string, accepts: (signal: ChangeSignal) => boolean = () => true) {
  const subscription: ChangeSubscription & { wakes: number } = {
    tenantId,
    wakes: 0,
    accepts,
    wake: () => (subscription.wakes += 1),
  };
  return subscription;
}

describe(ChangeHub.name, () => {
  it('wakes each reader of the tenant once for a burst of commits', async () => {
    const hub = new ChangeHub();
    const [a, b] = [reader('t1'), reader('t1')];
    hub.subscribe(a);
    hub.subscribe(b);
    for (let seq = 1; seq <= 500; seq++) hub.signal({ tenantId: 't1', changeSeq: String(seq) });
    await tick();
    expect([a.wakes, b.wakes]).toEqual([1, 1]);
  });

  it("never wakes a reader for another tenant's commit", async () => {
    const hub = new ChangeHub();
    const mine = reader('t1');
    hub.subscribe(mine);
    hub.signal({ tenantId: 't2', changeSeq: '7' });
    await tick();
    expect(mine.wakes).toBe(0);
  });

  it('lets a reader filter on the scope keys a signal carries', async () => {
    const hub = new ChangeHub();
    const own = reader('t1', (signal) => !signal.keys || signal.keys.includes('u:alice'));
    hub.subscribe(own);
    hub.signal({ tenantId: 't1', changeSeq: '1', keys: ['u:bob'] });
    await tick();
    expect(own.wakes).toBe(0);
    hub.signal({ tenantId: 't1', changeSeq: '2', keys: ['u:bob', 'u:alice'] });
    await tick();
    expect(own.wakes).toBe(1);
  });

  it('wakes every reader after signals may have been lost, and none once unsubscribed', async () => {
    const hub = new ChangeHub();
    const [a, b] = [reader('t1', () => false), reader('t2')];
    const stop = hub.subscribe(a);
    hub.subscribe(b);
    hub.wakeAll();
    await tick();
    expect([a.wakes, b.wakes]).toEqual([1, 1]);
    stop();
    hub.wakeAll();
    await tick();
    expect([a.wakes, hub.size]).toEqual([1, 1]);
  });

  it('round-trips a signal and ignores foreign payloads', () => {
    const signal = { tenantId: 't1', changeSeq: '42', keys: ['u:alice'] };
    expect(decodeSignal(encodeSignal(signal))).toEqual(signal);
    expect(decodeSignal('{"t":1}')).toBeUndefined();
    expect(decodeSignal('not json')).toBeUndefined();
  });
});
