import { evaluateAlerts } from './alert.policy';

const THRESHOLDS = { successRateMinPct: 90, conflictRateMaxPct: 10, unhealthyDevicesMax: 10 };
const HEALTHY = { totalRequests: 100, successRatePct: 99, conflictRatePct: 2, unhealthyDevices: 0 };

function firing(inputs: typeof HEALTHY): string[] {
  return evaluateAlerts(inputs, THRESHOLDS)
    .filter((evaluation) => evaluation.firing)
    .map((evaluation) => evaluation.kind);
}

describe(evaluateAlerts.name, () => {
  it('raises nothing for a healthy window and clears every kind', () => {
    const evaluations = evaluateAlerts(HEALTHY, THRESHOLDS);
    expect(evaluations.map((e) => e.kind)).toEqual(['success_rate_low', 'conflict_rate_high', 'unhealthy_devices']);
    expect(evaluations.every((e) => !e.firing)).toBe(true);
  });

  it('raises success_rate_low below 90 % but not at exactly 90 %', () => {
    expect(firing({ ...HEALTHY, successRatePct: 89.9 })).toEqual(['success_rate_low']);
    expect(firing({ ...HEALTHY, successRatePct: 90 })).toEqual([]);
  });

  it('raises conflict_rate_high above 10 % but not at exactly 10 %', () => {
    expect(firing({ ...HEALTHY, conflictRatePct: 10.5 })).toEqual(['conflict_rate_high']);
    expect(firing({ ...HEALTHY, conflictRatePct: 10 })).toEqual([]);
  });

  it('raises unhealthy_devices with more than 10 devices below 50', () => {
    expect(firing({ ...HEALTHY, unhealthyDevices: 11 })).toEqual(['unhealthy_devices']);
    expect(firing({ ...HEALTHY, unhealthyDevices: 10 })).toEqual([]);
  });

  it('neither raises nor clears rates for a window without requests', () => {
    const kinds = evaluateAlerts(
      { totalRequests: 0, successRatePct: 0, conflictRatePct: 0, unhealthyDevices: 0 },
      THRESHOLDS,
    ).map((e) => e.kind);
    expect(kinds).toEqual(['unhealthy_devices']);
  });
});
