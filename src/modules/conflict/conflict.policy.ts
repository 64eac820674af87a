// TEMPORARY two-way stub of the conflict engine contract; replaced by the ConflictModule branch.
import type { Domain } from '../../common/domain';
import { AppException } from '../../common/errors/app-exception';

export const RESOLUTION_POLICIES = [
  'client_wins',
  'server_wins',
  'most_recent_wins',
  'preserve_escalation',
  'manual',
] as const;
export type ResolutionPolicy = (typeof RESOLUTION_POLICIES)[number];
export const DEFAULT_POLICIES: Record<Domain, ResolutionPolicy> = {
  journal: 'client_wins',
  attendance: 'server_wins',
  task: 'most_recent_wins',
  work_order: 'most_recent_wins',
  ticket: 'preserve_escalation',
};
export const ESCALATION_FIELDS = ['escalation_level', 'escalated_at', 'escalated_by', 'status'];
export interface PolicySettings {
  resolution_policy: ResolutionPolicy;
  auto_resolve: boolean;
  notify_on_conflict: boolean;
  protected_fields: string[] | null;
}
export interface EffectivePolicy extends PolicySettings {
  domain: string;
  source: 'default' | 'tenant';
}
export function defaultPolicy(domain: string): EffectivePolicy {
  const policy = DEFAULT_POLICIES[domain as Domain];
  return {
    domain,
    resolution_policy: policy ?? 'manual',
    auto_resolve: policy !== undefined,
    notify_on_conflict: false,
    protected_fields: null,
    source: 'default',
  };
}
export type Entry = Record<string, unknown>;
export interface ConflictInput {
  server: Entry;
  client: Entry;
  base?: Entry | null;
  serverUpdatedAt?: string | Date | null;
  clientUpdatedAt?: string | Date | null;
}
export interface MergeDetails {
  from_client: string[];
  from_server: string[];
  conflicting_fields: string[];
  protected_fields_kept?: string[];
  three_way: boolean;
}
export interface ConflictResolution {
  resolution: 'resolved' | 'manual_required';
  winning_entry: Entry | null;
  strategy_used: string;
  merge_details: MergeDetails;
  winning_version: 'client' | 'server' | 'merged' | 'none';
}
export function parseInstant(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw AppException.validation('unparseable timestamp');
  return ms;
}
export function resolveConflict(policy: PolicySettings, input: ConflictInput): ConflictResolution {
  const details: MergeDetails = { from_client: [], from_server: [], conflicting_fields: [], three_way: false };
  if (!policy.auto_resolve || policy.resolution_policy === 'manual') {
    return {
      resolution: 'manual_required',
      winning_entry: null,
      strategy_used: 'manual',
      merge_details: details,
      winning_version: 'none',
    };
  }
  let clientWins = policy.resolution_policy === 'client_wins' || policy.resolution_policy === 'preserve_escalation';
  let strategy: string = policy.resolution_policy;
  if (policy.resolution_policy === 'most_recent_wins') {
    const server = parseInstant(input.serverUpdatedAt === undefined ? input.server.updated_at : input.serverUpdatedAt);
    const client = parseInstant(input.clientUpdatedAt === undefined ? input.client.updated_at : input.clientUpdatedAt);
    clientWins = client !== null && (server === null || client > server);
    strategy = `most_recent_wins (${clientWins ? 'client' : 'server'})`;
  }
  return {
    resolution: 'resolved',
    winning_entry: clientWins ? input.client : input.server,
    strategy_used: strategy,
    merge_details: details,
    winning_version: clientWins ? 'client' : 'server',
  };
}
