import type { RecordData } from './upcast.policy';

/** A status field's allowed moves (DOMAINS.md). */
export interface TransitionTable {
  domain: string;
  field: string;
  statuses: readonly string[];
  moves: Readonly<Record<string, readonly string[]>>;
  /** Statuses any status (even an unknown one) may move to. */
  fromAny: readonly string[];
}

export type TransitionRule = 'not_allowed' | 'unknown_status' | 'comment_required';

export type TransitionVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: 'INVALID_TRANSITION';
      domain: string;
      field: string;
      from: string | null;
      to: string;
      rule: TransitionRule;
      message: string;
    };

const OK: TransitionVerdict = { ok: true };

function status(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * Whether `from` may become `to` in the table. Staying put is always allowed, as is a record's first status
 * (from null) when the table knows it; a missing target (the client did not send the field) is no move.
 */
export function checkMove(table: TransitionTable, fromValue: unknown, toValue: unknown): TransitionVerdict {
  const from = status(fromValue);
  const to = status(toValue);
  if (to === null || to === from) return OK;
  const refuse = (rule: TransitionRule, message: string): TransitionVerdict => ({
    ok: false,
    reason: 'INVALID_TRANSITION',
    domain: table.domain,
    field: table.field,
    from,
    to,
    rule,
    message,
  });
  if (!table.statuses.includes(to)) return refuse('unknown_status', `${table.field} "${to}" is not a known status`);
  if (from === null || table.fromAny.includes(to)) return OK;
  if (!table.statuses.includes(from)) {
    return refuse(
      'unknown_status',
      `${table.field} "${from}" is not a known status; it may only go to ${table.fromAny.join(', ')}`,
    );
  }
  if ((table.moves[from] ?? []).includes(to)) return OK;
  return refuse('not_allowed', `${table.field} may not go from ${from} to ${to}`);
}

/** The table, for a record's status field, with the comment a closing status needs (tickets). */
export interface ClosingComment {
  statuses: readonly string[];
  field: string;
}

/** Entering a closing status (from another status, or on creation) needs a non-empty comment in the record. */
export function checkClosingComment(
  table: TransitionTable,
  rule: ClosingComment,
  fromValue: unknown,
  toValue: unknown,
  record: RecordData,
): TransitionVerdict {
  const from = status(fromValue);
  const to = status(toValue);
  if (to === null || to === from || !rule.statuses.includes(to)) return OK;
  const comment = record[rule.field];
  if (typeof comment === 'string' && comment.trim() !== '') return OK;
  return {
    ok: false,
    reason: 'INVALID_TRANSITION',
    domain: table.domain,
    field: rule.field,
    from,
    to,
    rule: 'comment_required',
    message: `${table.field} ${to} needs a comment in ${rule.field}`,
  };
}
