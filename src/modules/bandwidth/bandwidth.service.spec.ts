import { AppConfig } from '../../config/app-config';
import { BandwidthService } from './bandwidth.service';

describe(BandwidthService.name, () => {
  const service = new BandwidthService(
    AppConfig.fromEnv({ BATCH_SIZES: 'excellent=200,good=80,fair=30,poor=5', COMPRESSION_THRESHOLD_BYTES: '10' }),
  );

  it('gives the configured batch size per network quality, the fair size when unknown or missing', () => {
    expect(service.batchSizeFor('excellent')).toBe(200);
    expect(service.batchSizeFor('poor')).toBe(5);
    expect(service.batchSizeFor('5g')).toBe(30);
    expect(service.batchSizeFor(undefined)).toBe(30);
  });

  it('sizes batches from measured conditions within the configured bounds', () => {
    expect(service.batchSizeFor('good', { rtt_ms: 1999, throughput_kbps: 1 })).toBe(5);
    expect(service.batchSizeFor('good', { rtt_ms: 10, throughput_kbps: 1_000_000 })).toBe(200);
  });

  it('applies the configured threshold to the compress tool', () => {
    expect(service.compress({ data: { text: 'a'.repeat(200) } }).compressed).toBe(true);
  });

  it('sends a patch only when it is smaller than the record, reporting the bytes saved', () => {
    const from = { ticketdesc: 'Water leaking from ceiling near Level 4 pantry.', status: 'OPEN' };
    const small = service.deltaOrFull(from, { ...from, status: 'INPROGRESS' });
    expect(small.patch).toHaveLength(1);
    expect(small.savedBytes).toBe(small.fullBytes - small.patchBytes);
    expect(small.savedBytes).toBeGreaterThan(0);
    const rewrite = service.deltaOrFull({ a: 1 }, { b: 2 });
    expect(rewrite).toMatchObject({ patch: null, savedBytes: 0 });
  });
});
