import type { DataSource } from 'typeorm';
import type { ConflictLogRepository } from './conflict-log.repository';
import { ConflictReportService } from './conflict-report.service';

function setup() {
  const logs = { countByDomain: jest.fn(async () => []), counts: jest.fn() };
  const service = new ConflictReportService({} as DataSource, logs as unknown as ConflictLogRepository);
  return { service, logs };
}

describe(ConflictReportService.name, () => {
  it('validates the report window', async () => {
    const { service } = setup();
    for (const days of [0, 366, 1.5, NaN]) {
      await expect(service.hotspots('7', days)).rejects.toMatchObject({ status: 400 });
      await expect(service.report('7', days)).rejects.toMatchObject({ status: 400 });
    }
  });

  it('counts hotspots in the window ending at the given instant', async () => {
    const { service, logs } = setup();
    logs.countByDomain.mockResolvedValue([{ key: 'task', count: 3 }] as never);
    const until = new Date('2025-09-28T00:00:00Z');
    expect(await service.hotspots('7', 7, until)).toEqual([{ domain: 'task', conflict_count: 3 }]);
    expect(logs.countByDomain).toHaveBeenCalledWith(expect.anything(), '7', new Date('2025-09-21T00:00:00Z'), until, 5);
  });

  it('names the counted keys by what they count and uses a 7-day window by default', async () => {
    const { service, logs } = setup();
    logs.counts.mockResolvedValue({
      total: 3,
      by_domain: [{ key: 'task', count: 3 }],
      by_strategy: [{ key: 'manual', count: 3 }],
      by_result: [{ key: 'manual_required', count: 3 }],
      top_devices: [{ key: 'd1', count: 2 }],
      pending_reviews: 1,
    });
    const until = new Date('2025-09-28T00:00:00Z');
    expect(await service.report('7', undefined, until)).toEqual({
      days: 7,
      since: '2025-09-21T00:00:00.000Z',
      until: '2025-09-28T00:00:00.000Z',
      total: 3,
      by_domain: [{ domain: 'task', count: 3 }],
      by_strategy: [{ strategy: 'manual', count: 3 }],
      by_result: [{ result: 'manual_required', count: 3 }],
      pending_reviews: 1,
      top_devices: [{ device_id: 'd1', conflict_count: 2 }],
    });
  });
});
