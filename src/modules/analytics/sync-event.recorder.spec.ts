import type { DataSource } from 'typeorm';
import { SyncMeter } from '../../common/metering/sync-meter';
import type { MetricsService } from './metrics.service';
import { SyncEventRecorder } from './sync-event.recorder';
import type { SyncEventInsert, SyncEventRepository } from './sync-event.repository';

function recorderWith(record: (event: SyncEventInsert) => Promise<void>): SyncEventRecorder {
  const events = { record: (_db: unknown, event: SyncEventInsert) => record(event) } as unknown as SyncEventRepository;
  const metrics = { observeSyncEvent: () => undefined } as unknown as MetricsService;
  return new SyncEventRecorder({} as DataSource, events, metrics);
}

describe(SyncEventRecorder.name, () => {
  it('counts a request answered with a client or server error as a failed sync, any other as a success', async () => {
    const seen: SyncEventInsert[] = [];
    const recorder = recorderWith(async (event) => void seen.push(event));
    for (const status of [200, 204, 304, 400, 409, 413, 500, 503]) {
      await recorder.record(new SyncMeter('push', '1', 'u', 'd'), status);
    }
    expect(seen.map((event) => event.success)).toEqual([true, true, true, false, false, false, false, false]);
  });

  it('swallows database errors so the request never sees them', async () => {
    const recorder = recorderWith(() => Promise.reject(new Error('connection lost')));
    await expect(recorder.record(new SyncMeter('push', '1', null, null), 200)).resolves.toBeUndefined();
  });
});
