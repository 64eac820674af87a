import { ChangeHub, ChangeSubscription } from './change-hub';
import { decodeSignal, encodeSignal, MAX_SIGNAL_BYTES } from './change-signal';

const tick = (): Promise<void> => new Promise((done) => setImmediate(done));

function reader(tenantId: string) {
  const subscription: ChangeSubscription & { wakes: number } = {
    tenantId,
    wakes: 0,
    wake: () => (subscription.wakes += 1),
  };
  return subscription;
}

describe(ChangeHub.name, () => {
  it('wakes each reader of the tenant once for a burst of commits', async () => {
    const hub = new ChangeHub();
    const [a, b, c] = [reader('t1'), reader('t1'), reader('t1')];
    hub.subscribe(a);
    hub.subscribe(b);
    hub.subscribe(c).setKeys(['u:carol']);
    for (let seq = 1; seq <= 500; seq++) hub.signal({ tenantId: 't1', changeSeq: String(seq), keys: ['u:carol'] });
    await tick();
    expect([a.wakes, b.wakes, c.wakes]).toEqual([1, 1, 1]);
  });

  it("never wakes a reader for another tenant's commit", async () => {
    const hub = new ChangeHub();
    const mine = reader('t1');
    hub.subscribe(mine);
    hub.signal({ tenantId: 't2', changeSeq: '7' });
    await tick();
    expect(mine.wakes).toBe(0);
  });

  it('wakes a narrowed reader only for its own keys; a tenant-wide reader for every commit', async () => {
    const hub = new ChangeHub();
    const [alice, admin] = [reader('t1'), reader('t1')];
    const handle = hub.subscribe(alice);
    hub.subscribe(admin);
    handle.setKeys(['u:alice', 'g:site:58:member']);
    hub.signal({ tenantId: 't1', changeSeq: '1', keys: ['u:bob'] });
    hub.signal({ tenantId: 't1', changeSeq: '2', keys: [] });
    await tick();
    expect([alice.wakes, admin.wakes]).toEqual([0, 1]);
    hub.signal({ tenantId: 't1', changeSeq: '3', keys: ['u:bob', 'g:site:58:member'] });
    await tick();
    expect([alice.wakes, admin.wakes]).toEqual([1, 2]);
    // A signal without keys (too many to carry) concerns everyone.
    hub.signal({ tenantId: 't1', changeSeq: '4' });
    await tick();
    expect([alice.wakes, admin.wakes]).toEqual([2, 3]);
    // Keys change with memberships: the old ones no longer wake it, the new ones do.
    handle.setKeys(['u:alice', 'g:site:59:member']);
    hub.signal({ tenantId: 't1', changeSeq: '5', keys: ['g:site:58:member'] });
    await tick();
    expect(alice.wakes).toBe(2);
    hub.signal({ tenantId: 't1', changeSeq: '6', keys: ['g:site:59:member'] });
    await tick();
    expect(alice.wakes).toBe(3);
  });

  it('wakes the whole tenant when a burst names more keys than it keeps', async () => {
    const hub = new ChangeHub();
    const alice = reader('t1');
    hub.subscribe(alice).setKeys(['u:alice']);
    for (let n = 0; n < 5000; n++) hub.signal({ tenantId: 't1', changeSeq: String(n), keys: [`u:other-${n}`] });
    await tick();
    expect(alice.wakes).toBe(1);
  });

  it('wakes every reader after signals may have been lost, and none once unsubscribed', async () => {
    const hub = new ChangeHub();
    const [a, b] = [reader('t1'), reader('t2')];
    const handle = hub.subscribe(a);
    handle.setKeys(['u:a']);
    hub.subscribe(b);
    hub.wakeAll();
    await tick();
    expect([a.wakes, b.wakes]).toEqual([1, 1]);
    handle.unsubscribe();
    handle.unsubscribe();
    handle.setKeys(['u:a']);
    hub.wakeAll();
    hub.signal({ tenantId: 't1', changeSeq: '9', keys: ['u:a'] });
    await tick();
    expect([a.wakes, hub.size]).toEqual([1, 1]);
  });
});

describe('change signals', () => {
  it('round-trips a signal (keys sorted, once each) and ignores foreign payloads', () => {
    const signal = { tenantId: 't1', changeSeq: '42', keys: ['u:bob', 'u:alice', 'u:bob'] };
    expect(decodeSignal(encodeSignal(signal))).toEqual({ ...signal, keys: ['u:alice', 'u:bob'] });
    expect(decodeSignal(encodeSignal({ tenantId: 't1', changeSeq: '1' }))).toEqual({ tenantId: 't1', changeSeq: '1' });
    expect(decodeSignal('{"t":1}')).toBeUndefined();
    expect(decodeSignal('not json')).toBeUndefined();
  });

  it('drops the keys (a tenant-wide wake-up) rather than exceed the NOTIFY payload limit', () => {
    const tenantId = '7f1c3f43-4f57-4d39-9a38-5f4c6a1b2c3d';
    const keys = Array.from({ length: 400 }, (_u, n) => `u:technician-${n}-é`);
    const payload = encodeSignal({ tenantId, changeSeq: '123456789', keys });
    expect(Buffer.byteLength(payload)).toBeLessThan(MAX_SIGNAL_BYTES);
    expect(decodeSignal(payload)).toEqual({ tenantId, changeSeq: '123456789' });
    const fits = encodeSignal({ tenantId, changeSeq: '1', keys: keys.slice(0, 100) });
    expect(decodeSignal(fits)?.keys).toHaveLength(100);
  });
});
