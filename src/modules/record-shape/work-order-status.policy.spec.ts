import { checkTransition } from './invariant.policy';

const move = (from: string | null, to: string) =>
  checkTransition('work_order', from, to, { description: 'Chiller 2 quarterly PPM', workstatus: to });

describe('work_order workstatus transitions', () => {
  it.each([
    ['ASSIGNED', 'INPROGRESS'],
    ['ASSIGNED', 'RE_ASSIGNED'],
    ['ASSIGNED', 'CANCELLED'],
    ['RE_ASSIGNED', 'INPROGRESS'],
    ['RE_ASSIGNED', 'CANCELLED'],
    ['INPROGRESS', 'COMPLETED'],
    ['INPROGRESS', 'RE_ASSIGNED'],
    ['INPROGRESS', 'CANCELLED'],
    ['COMPLETED', 'CLOSED'],
    ['COMPLETED', 'INPROGRESS'],
  ])('lets a work order move from %s to %s', (from, to) => {
    expect(move(from, to)).toEqual({ ok: true });
  });

  it('refuses a CLOSED work order going back to INPROGRESS', () => {
    expect(move('CLOSED', 'INPROGRESS')).toEqual({
      ok: false,
      reason: 'INVALID_TRANSITION',
      domain: 'work_order',
      field: 'workstatus',
      from: 'CLOSED',
      to: 'INPROGRESS',
      rule: 'not_allowed',
      message: 'workstatus may not go from CLOSED to INPROGRESS',
    });
  });

  it('refuses completing a work order nobody started', () => {
    expect(move('ASSIGNED', 'COMPLETED')).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it('refuses cancelling a completed work order', () => {
    expect(move('COMPLETED', 'CANCELLED')).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it('refuses the sync layer’s lower-case names in workstatus', () => {
    expect(move('ASSIGNED', 'in_progress')).toMatchObject({ ok: false, rule: 'unknown_status' });
  });
});
