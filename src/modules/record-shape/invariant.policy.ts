import type { Domain } from '../../common/domain';
import { TASK_JOBSTATUS } from './task-status.policy';
import { TICKET_CLOSING_COMMENT, TICKET_STATUS } from './ticket-status.policy';
import { checkClosingComment, checkMove, TransitionTable, TransitionVerdict } from './transition.policy';
import type { RecordData } from './upcast.policy';
import { WORK_ORDER_WORKSTATUS } from './work-order-status.policy';

/** The domain rules a tenant can switch off (all on by default). */
export const INVARIANTS = [
  'task_jobstatus',
  'ticket_status',
  'ticket_closing_comment',
  'work_order_workstatus',
  'attendance_overlap',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export const INVARIANT_INFO: Record<InvariantName, { domain: Domain; description: string }> = {
  task_jobstatus: { domain: 'task', description: 'jobstatus moves only along its allowed transitions' },
  ticket_status: { domain: 'ticket', description: 'status moves only along its allowed transitions' },
  ticket_closing_comment: { domain: 'ticket', description: 'RESOLVED, CLOSED and CANCELLED need a comment' },
  work_order_workstatus: { domain: 'work_order', description: 'workstatus moves only along its allowed transitions' },
  attendance_overlap: { domain: 'attendance', description: "one person's punch intervals never overlap" },
};

export function isInvariantName(name: string): name is InvariantName {
  return (INVARIANTS as readonly string[]).includes(name);
}

const TABLES: Partial<Record<string, { table: TransitionTable; invariant: InvariantName }>> = {
  task: { table: TASK_JOBSTATUS, invariant: 'task_jobstatus' },
  ticket: { table: TICKET_STATUS, invariant: 'ticket_status' },
  work_order: { table: WORK_ORDER_WORKSTATUS, invariant: 'work_order_workstatus' },
};

/** The status field a domain's transitions govern (undefined for domains without one). */
export function statusField(domain: string): string | undefined {
  return TABLES[domain]?.table.field;
}

/** The switch that governs a refused transition: the closing comment, else the domain's table. */
export function invariantOfTransition(verdict: Extract<TransitionVerdict, { ok: false }>): InvariantName {
  if (verdict.rule === 'comment_required') return 'ticket_closing_comment';
  return TABLES[verdict.domain]?.invariant ?? 'ticket_status';
}

/** Every invariant on: what a tenant without switches gets. */
export const ALL_ON = (_name: InvariantName): boolean => true;

/**
 * Whether a record of `domain` may move from status `from` to `to` (its new copy is `record`): the domain's
 * transition table, and for tickets the comment a closing status needs. `enabled` is the tenant's switches.
 */
export function checkTransition(
  domain: string,
  from: unknown,
  to: unknown,
  record: RecordData,
  enabled: (name: InvariantName) => boolean = ALL_ON,
): TransitionVerdict {
  const entry = TABLES[domain];
  if (!entry) return { ok: true };
  if (enabled(entry.invariant)) {
    const move = checkMove(entry.table, from, to);
    if (!move.ok) return move;
  }
  if (domain === 'ticket' && enabled('ticket_closing_comment')) {
    return checkClosingComment(entry.table, TICKET_CLOSING_COMMENT, from, to, record);
  }
  return { ok: true };
}

/** The transition a client's copy makes from the server's (null: a new record). */
export function checkRecordTransition(
  domain: string,
  server: RecordData | null,
  client: RecordData,
  enabled: (name: InvariantName) => boolean = ALL_ON,
): TransitionVerdict {
  const field = statusField(domain);
  if (field === undefined) return { ok: true };
  return checkTransition(domain, server?.[field] ?? null, client[field], client, enabled);
}
