import { checkTransition } from './invariant.policy';

const task = (jobstatus: string): Record<string, unknown> => ({ jobdesc: 'Fire extinguisher check', jobstatus });
const move = (from: string | null, to: string) => checkTransition('task', from, to, task(to));

describe('task jobstatus transitions', () => {
  it.each([
    ['ASSIGNED', 'INPROGRESS'],
    ['INPROGRESS', 'COMPLETED'],
    ['INPROGRESS', 'PARTIALLYCOMPLETED'],
    ['PARTIALLYCOMPLETED', 'COMPLETED'],
    ['PARTIALLYCOMPLETED', 'INPROGRESS'],
    ['STANDBY', 'ASSIGNED'],
    ['STANDBY', 'INPROGRESS'],
  ])('lets a technician move a task from %s to %s', (from, to) => {
    expect(move(from, to)).toEqual({ ok: true });
  });

  it.each(['ASSIGNED', 'INPROGRESS', 'COMPLETED', 'PARTIALLYCOMPLETED', 'AUTOCLOSED'])(
    'lets any status (%s) go to STANDBY',
    (from) => {
      expect(move(from, 'STANDBY')).toEqual({ ok: true });
    },
  );

  it('refuses a COMPLETED task going back to INPROGRESS', () => {
    expect(move('COMPLETED', 'INPROGRESS')).toEqual({
      ok: false,
      reason: 'INVALID_TRANSITION',
      domain: 'task',
      field: 'jobstatus',
      from: 'COMPLETED',
      to: 'INPROGRESS',
      rule: 'not_allowed',
      message: 'jobstatus may not go from COMPLETED to INPROGRESS',
    });
  });

  it('refuses skipping INPROGRESS: ASSIGNED straight to COMPLETED', () => {
    expect(move('ASSIGNED', 'COMPLETED')).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it('refuses a device closing a task itself (AUTOCLOSED is the server’s)', () => {
    expect(move('INPROGRESS', 'AUTOCLOSED')).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it('refuses an AUTOCLOSED task being reopened', () => {
    expect(move('AUTOCLOSED', 'INPROGRESS')).toMatchObject({ ok: false, rule: 'not_allowed' });
  });

  it('refuses a status the table does not know', () => {
    expect(move('ASSIGNED', 'FINISHED')).toMatchObject({ ok: false, rule: 'unknown_status', to: 'FINISHED' });
  });

  it('accepts an unchanged status and a new task in any known status', () => {
    expect(move('COMPLETED', 'COMPLETED')).toEqual({ ok: true });
    expect(move(null, 'ASSIGNED')).toEqual({ ok: true });
  });
});
