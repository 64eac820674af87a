import fc from 'fast-check';
import { checkMove, TransitionTable } from './transition.policy';
import { TASK_JOBSTATUS } from './task-status.policy';
import { TICKET_STATUS } from './ticket-status.policy';
import { WORK_ORDER_WORKSTATUS } from './work-order-status.policy';

const TABLES: TransitionTable[] = [TASK_JOBSTATUS, TICKET_STATUS, WORK_ORDER_WORKSTATUS];

describe('checkMove', () => {
  it.each(TABLES.map((table) => [table.domain, table]))(
    'allows exactly the listed moves of %s (property)',
    (_domain, table) => {
      const status = fc.constantFrom(...table.statuses);
      fc.assert(
        fc.property(status, status, (from, to) => {
          const listed = from === to || table.fromAny.includes(to) || (table.moves[from] ?? []).includes(to);
          expect(checkMove(table, from, to).ok).toBe(listed);
        }),
      );
    },
  );

  it.each(TABLES.map((table) => [table.domain, table]))(
    'names only statuses it knows in its %s table',
    (_domain, table) => {
      for (const [from, targets] of Object.entries(table.moves)) {
        expect(table.statuses).toContain(from);
        for (const to of targets) expect(table.statuses).toContain(to);
      }
    },
  );

  it('treats a missing or non-string target as no move', () => {
    expect(checkMove(TICKET_STATUS, 'CLOSED', undefined)).toEqual({ ok: true });
    expect(checkMove(TICKET_STATUS, 'CLOSED', 3)).toEqual({ ok: true });
  });

  it('lets a task with a status the table does not know go to STANDBY only', () => {
    expect(checkMove(TASK_JOBSTATUS, 'LEGACY', 'STANDBY')).toEqual({ ok: true });
    expect(checkMove(TASK_JOBSTATUS, 'LEGACY', 'INPROGRESS')).toMatchObject({ ok: false, rule: 'unknown_status' });
  });
});
