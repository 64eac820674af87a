import type { TransitionTable } from './transition.policy';

/** task `jobstatus` (DOMAINS.md): any status may go to STANDBY; AUTOCLOSED is the server's, never a device's. */
export const TASK_JOBSTATUS: TransitionTable = {
  domain: 'task',
  field: 'jobstatus',
  statuses: ['ASSIGNED', 'INPROGRESS', 'COMPLETED', 'PARTIALLYCOMPLETED', 'AUTOCLOSED', 'STANDBY'],
  moves: {
    ASSIGNED: ['INPROGRESS'],
    INPROGRESS: ['COMPLETED', 'PARTIALLYCOMPLETED'],
    PARTIALLYCOMPLETED: ['COMPLETED', 'INPROGRESS'],
    STANDBY: ['ASSIGNED', 'INPROGRESS'],
  },
  fromAny: ['STANDBY'],
};
