/** What analytics needs from the conflict module; bound to the ConflictService where both modules are wired. */
export interface ConflictInsights {
  hotspots(tenantId: string, days: number): Promise<Array<{ domain: string; conflict_count: number }>>;
  report(tenantId: string, days: number, until?: Date): Promise<Record<string, unknown>>;
}

export const CONFLICT_INSIGHTS = Symbol('CONFLICT_INSIGHTS');
