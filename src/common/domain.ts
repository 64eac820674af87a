export const DOMAINS = ['journal', 'attendance', 'task', 'ticket', 'work_order'] as const;
export type Domain = (typeof DOMAINS)[number];

export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Stored as smallint: lower sorts first. */
export const PRIORITY_RANK: Record<Priority, number> = { high: 0, medium: 1, low: 2 };

export function priorityFromRank(rank: number): Priority {
  return PRIORITIES[rank] ?? 'medium';
}

export const NETWORK_QUALITIES = ['excellent', 'good', 'fair', 'poor'] as const;
export type NetworkQuality = (typeof NETWORK_QUALITIES)[number];

export const SCOPES = ['sync', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
