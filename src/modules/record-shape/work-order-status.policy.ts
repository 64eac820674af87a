import type { TransitionTable } from './transition.policy';

/**
 * work_order `workstatus`. DOMAINS.md lists the statuses but not the moves; these follow the work-order life cycle
 * (assign, re-assign, work, complete, verify and close, or cancel before completion) and await product review.
 */
export const WORK_ORDER_WORKSTATUS: TransitionTable = {
  domain: 'work_order',
  field: 'workstatus',
  statuses: ['ASSIGNED', 'RE_ASSIGNED', 'INPROGRESS', 'COMPLETED', 'CLOSED', 'CANCELLED'],
  moves: {
    ASSIGNED: ['RE_ASSIGNED', 'INPROGRESS', 'CANCELLED'],
    RE_ASSIGNED: ['INPROGRESS', 'CANCELLED'],
    INPROGRESS: ['RE_ASSIGNED', 'COMPLETED', 'CANCELLED'],
    COMPLETED: ['CLOSED', 'INPROGRESS'],
    CLOSED: [],
    CANCELLED: [],
  },
  fromAny: [],
};
