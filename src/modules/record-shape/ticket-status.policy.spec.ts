import { checkTransition } from './invariant.policy';

const ticket = (status: string, comments = ''): Record<string, unknown> => ({
  ticketno: 'T04812',
  ticketdesc: 'Water leaking from ceiling near Level 4 pantry.',
  status,
  comments,
});
const move = (from: string | null, to: string, comments = 'done') =>
  checkTransition('ticket', from, to, ticket(to, comments));

describe('ticket status transitions', () => {
  it.each([
    ['NEW', 'OPEN'],
    ['NEW', 'INPROGRESS'],
    ['NEW', 'CANCELLED'],
    ['OPEN', 'INPROGRESS'],
    ['INPROGRESS', 'OPEN'],
    ['OPEN', 'ONHOLD'],
    ['INPROGRESS', 'ONHOLD'],
    ['OPEN', 'RESOLVED'],
    ['INPROGRESS', 'RESOLVED'],
    ['ONHOLD', 'RESOLVED'],
    ['OPEN', 'CANCELLED'],
    ['INPROGRESS', 'CANCELLED'],
    ['ONHOLD', 'CANCELLED'],
    ['ONHOLD', 'OPEN'],
    ['ONHOLD', 'INPROGRESS'],
    ['RESOLVED', 'CLOSED'],
    ['RESOLVED', 'OPEN'],
  ])('lets a ticket move from %s to %s', (from, to) => {
    expect(move(from, to)).toEqual({ ok: true });
  });

  it('refuses a CLOSED ticket going back to INPROGRESS', () => {
    expect(move('CLOSED', 'INPROGRESS')).toEqual({
      ok: false,
      reason: 'INVALID_TRANSITION',
      domain: 'ticket',
      field: 'status',
      from: 'CLOSED',
      to: 'INPROGRESS',
      rule: 'not_allowed',
      message: 'status may not go from CLOSED to INPROGRESS',
    });
  });

  it.each(['NEW', 'OPEN', 'INPROGRESS', 'ONHOLD', 'RESOLVED'])('keeps CANCELLED terminal (no way back to %s)', (to) => {
    expect(move('CANCELLED', to)).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it('refuses closing a ticket that was never resolved', () => {
    expect(move('INPROGRESS', 'CLOSED')).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it('refuses a NEW ticket jumping to ONHOLD', () => {
    expect(move('NEW', 'ONHOLD')).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it.each([
    ['INPROGRESS', 'RESOLVED'],
    ['RESOLVED', 'CLOSED'],
    ['OPEN', 'CANCELLED'],
  ])('needs a comment to go from %s to %s', (from, to) => {
    expect(move(from, to, '   ')).toEqual({
      ok: false,
      reason: 'INVALID_TRANSITION',
      domain: 'ticket',
      field: 'comments',
      from,
      to,
      rule: 'comment_required',
      message: `status ${to} needs a comment in comments`,
    });
  });

  it('needs a comment on a ticket created as RESOLVED, not on one that stays RESOLVED', () => {
    expect(move(null, 'RESOLVED', '')).toMatchObject({ ok: false, rule: 'comment_required' });
    expect(move('RESOLVED', 'RESOLVED', '')).toEqual({ ok: true });
  });

  it('does not ask for a comment on the way to OPEN or ONHOLD', () => {
    expect(move('RESOLVED', 'OPEN', '')).toEqual({ ok: true });
    expect(move('OPEN', 'ONHOLD', '')).toEqual({ ok: true });
  });
});
