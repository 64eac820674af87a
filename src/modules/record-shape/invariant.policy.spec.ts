import { checkRecordTransition, INVARIANTS, InvariantName, statusField } from './invariant.policy';

const without =
  (...off: InvariantName[]) =>
  (name: InvariantName): boolean =>
    !off.includes(name);

describe('checkRecordTransition', () => {
  it('checks the client copy against the server copy', () => {
    expect(checkRecordTransition('ticket', { status: 'CLOSED' }, { status: 'INPROGRESS' })).toMatchObject({
      ok: false,
      from: 'CLOSED',
      to: 'INPROGRESS',
    });
    expect(checkRecordTransition('ticket', null, { status: 'NEW' })).toEqual({ ok: true });
  });

  it('has nothing to check for journal and attendance', () => {
    expect(statusField('journal')).toBeUndefined();
    expect(checkRecordTransition('attendance', { status: 'x' }, { status: 'y' })).toEqual({ ok: true });
  });

  it.each([
    ['task_jobstatus', 'task', { jobstatus: 'COMPLETED' }, { jobstatus: 'ASSIGNED' }],
    ['ticket_status', 'ticket', { status: 'CLOSED' }, { status: 'OPEN' }],
    ['work_order_workstatus', 'work_order', { workstatus: 'CLOSED' }, { workstatus: 'INPROGRESS' }],
    ['ticket_closing_comment', 'ticket', { status: 'INPROGRESS' }, { status: 'RESOLVED', comments: '' }],
  ] as const)('lets a tenant switch %s off', (name, domain, server, client) => {
    expect(checkRecordTransition(domain, server, client).ok).toBe(false);
    expect(checkRecordTransition(domain, server, client, without(name))).toEqual({ ok: true });
  });

  it('still asks for the closing comment when only the ticket_status table is off', () => {
    const verdict = checkRecordTransition(
      'ticket',
      { status: 'CLOSED' },
      { status: 'CANCELLED', comments: '' },
      without('ticket_status'),
    );
    expect(verdict).toMatchObject({ ok: false, rule: 'comment_required' });
  });

  it('names every invariant once', () => {
    expect(new Set(INVARIANTS).size).toBe(INVARIANTS.length);
  });
});
