import type { ClosingComment, TransitionTable } from './transition.policy';

/** ticket `status` (DOMAINS.md): CLOSED and CANCELLED are terminal. */
export const TICKET_STATUS: TransitionTable = {
  domain: 'ticket',
  field: 'status',
  statuses: ['NEW', 'OPEN', 'INPROGRESS', 'ONHOLD', 'RESOLVED', 'CLOSED', 'CANCELLED'],
  moves: {
    NEW: ['OPEN', 'INPROGRESS', 'CANCELLED'],
    OPEN: ['INPROGRESS', 'ONHOLD', 'RESOLVED', 'CANCELLED'],
    INPROGRESS: ['OPEN', 'ONHOLD', 'RESOLVED', 'CANCELLED'],
    ONHOLD: ['OPEN', 'INPROGRESS', 'RESOLVED', 'CANCELLED'],
    RESOLVED: ['CLOSED', 'OPEN'],
    CLOSED: [],
    CANCELLED: [],
  },
  fromAny: [],
};

/** RESOLVED, CLOSED and CANCELLED need a comment. */
export const TICKET_CLOSING_COMMENT: ClosingComment = {
  statuses: ['RESOLVED', 'CLOSED', 'CANCELLED'],
  field: 'comments',
};
