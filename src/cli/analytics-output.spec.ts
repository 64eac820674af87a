import type { AlertRow } from '../modules/analytics/alert.repository';
import type { SnapshotRow } from '../modules/analytics/snapshot.repository';
import { describeSnapshot, tenantProgress } from './analytics-output';

const snapshot = { id: '41', total_sync_requests: 12, success_rate_pct: 91.666, conflict_rate_pct: 2.5 } as SnapshotRow;

describe(describeSnapshot.name, () => {
  it('names the snapshot, its requests and rates with one decimal', () => {
    expect(describeSnapshot({ tenantId: '7', snapshot, created: true, openedAlerts: [] })).toBe(
      'snapshot 41, 12 requests, success 91.7 %, conflicts 2.5 %',
    );
  });

  it('marks a snapshot another run made and lists the alerts this one opened', () => {
    const openedAlerts = [{ kind: 'success_rate_low' }, { kind: 'conflict_rate_high' }] as AlertRow[];
    expect(describeSnapshot({ tenantId: '7', snapshot, created: false, openedAlerts })).toBe(
      'snapshot 41 (existing), 12 requests, success 91.7 %, conflicts 2.5 %, alerts: success_rate_low, conflict_rate_high',
    );
  });

  it('says so when there is no snapshot', () => {
    expect(describeSnapshot({ tenantId: '7', snapshot: undefined, created: false, openedAlerts: [] })).toBe(
      'no snapshot',
    );
  });
});

describe(tenantProgress.name, () => {
  it('counts tenants from one', () => {
    expect(tenantProgress(0, 3, '7', 'report ready')).toBe('[1/3] tenant 7: report ready');
  });
});
