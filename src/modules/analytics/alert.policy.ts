import type { AlertKind } from './entities/sync-alert.entity';

export interface AlertThresholds {
  successRateMinPct: number;
  conflictRateMaxPct: number;
  unhealthyDevicesMax: number;
}

export interface AlertInputs {
  totalRequests: number;
  successRatePct: number;
  conflictRatePct: number;
  /** Devices scoring below ALERT_DEVICE_SCORE now. */
  unhealthyDevices: number;
}

export interface AlertEvaluation {
  kind: AlertKind;
  /** true: the condition holds (open the alert unless one is open); false: it cleared (resolve an open one). */
  firing: boolean;
  value: number;
  threshold: number;
  message: string;
}

/**
 * Decides every alert kind for one snapshot. A window without requests neither raises nor clears the rate alerts
 * (no evidence either way); the device alert looks at the devices' current scores, so it is always decided.
 */
export function evaluateAlerts(inputs: AlertInputs, thresholds: AlertThresholds): AlertEvaluation[] {
  const evaluations: AlertEvaluation[] = [];
  if (inputs.totalRequests > 0) {
    evaluations.push({
      kind: 'success_rate_low',
      firing: inputs.successRatePct < thresholds.successRateMinPct,
      value: inputs.successRatePct,
      threshold: thresholds.successRateMinPct,
      message: `Sync success rate ${inputs.successRatePct.toFixed(1)} % is below ${thresholds.successRateMinPct} %`,
    });
    evaluations.push({
      kind: 'conflict_rate_high',
      firing: inputs.conflictRatePct > thresholds.conflictRateMaxPct,
      value: inputs.conflictRatePct,
      threshold: thresholds.conflictRateMaxPct,
      message: `Conflict rate ${inputs.conflictRatePct.toFixed(1)} % is above ${thresholds.conflictRateMaxPct} %`,
    });
  }
  evaluations.push({
    kind: 'unhealthy_devices',
    firing: inputs.unhealthyDevices > thresholds.unhealthyDevicesMax,
    value: inputs.unhealthyDevices,
    threshold: thresholds.unhealthyDevicesMax,
    message: `${inputs.unhealthyDevices} devices have a health score below 50 (more than ${thresholds.unhealthyDevicesMax})`,
  });
  return evaluations;
}
