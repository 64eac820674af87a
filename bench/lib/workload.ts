import { randomUUID } from 'node:crypto';

/** Record shapes from DOMAINS.md (domain fields plus part of the common block), varied by index. */
export type Domain = 'task' | 'ticket' | 'work_order';

// Statuses from which editOf's move is legal (DOMAINS.md transitions; the invariants are on by default).
const TASK_STATUSES = ['INPROGRESS', 'COMPLETED', 'PARTIALLYCOMPLETED'];
const TICKET_STATUSES = ['NEW', 'OPEN', 'INPROGRESS', 'ONHOLD'];
const WO_STATUSES = ['INPROGRESS', 'COMPLETED'];

function pick<T>(values: readonly T[], n: number): T {
  return values[n % values.length];
}

function common(n: number): Record<string, unknown> {
  return {
    uuid: randomUUID(),
    sync_status: 'pending_sync',
    created_at: '2025-09-27T00:05:00+05:30',
    updated_at: `2025-09-28T10:${String(n % 60).padStart(2, '0')}:44+05:30`,
    cuser: 1,
    muser: 4000 + (n % 500),
    tenant: 1,
    client: 4,
    bu: 58,
    ctzoffset: 330,
  };
}

export function taskRecord(n: number): Record<string, unknown> {
  return {
    jobdesc: `Fire extinguisher check - Floor ${1 + (n % 12)} East`,
    identifier: 'TASK',
    jobtype: 'SCHEDULE',
    jobstatus: pick(TASK_STATUSES, n),
    priority: pick(['HIGH', 'MEDIUM', 'LOW'], n),
    scantype: 'QR',
    plandatetime: '2025-09-28T10:00:00+05:30',
    expirydatetime: '2025-09-28T12:00:00+05:30',
    gracetime: 15,
    starttime: '2025-09-28T10:07:12+05:30',
    endtime: null,
    gpslocation: `SRID=4326;POINT (77.${624431 + (n % 1000)} 12.935322)`,
    remarks: n % 3 === 0 ? 'FE-3E-04 gauge low, tagged for refill' : '',
    job: 1882 + (n % 50),
    location: 640,
    asset: 21877 + n,
    qset: 312,
    ...common(n),
  };
}

export function ticketRecord(n: number): Record<string, unknown> {
  return {
    ticketno: `T${String(n % 100000).padStart(5, '0')}`,
    ticketdesc: 'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
    status: pick(TICKET_STATUSES, n),
    priority: 'HIGH',
    identifier: 'TICKET',
    ticketsource: 'USERDEFINED',
    assignedtopeople: 3301 + (n % 40),
    assignedtogroup: null,
    ticketcategory: 415,
    location: 640,
    comments: 'Plumber on site, valve isolated',
    escalation_level: n % 3,
    escalated_at: '2025-09-28T11:40:00+05:30',
    escalated_by: 'system',
    ...common(n),
  };
}

export function workOrderRecord(n: number): Record<string, unknown> {
  return {
    identifier: 'WO',
    description: `Chiller ${1 + (n % 4)} quarterly PPM - condenser tube cleaning`,
    workstatus: pick(WO_STATUSES, n),
    priority: 'MEDIUM',
    workpermit: 'NOT_REQUIRED',
    verifiers_status: 'PENDING',
    plandatetime: '2025-09-28T08:00:00+05:30',
    expirydatetime: '2025-09-28T17:00:00+05:30',
    starttime: '2025-09-28T08:20:05+05:30',
    endtime: null,
    gpslocation: 'SRID=4326;POINT (77.624102 12.935011)',
    asset: 20455 + n,
    location: 612,
    qset: 298,
    vendor: 71,
    performedby: 'CoolAir Services',
    approvers: ['3301'],
    verifiers: ['2210'],
    categories: ['HVAC'],
    attachmentcount: n % 5,
    other_data: { reply_from_vendor: 'Tubes 60% done', overall_score: 0, uptime_score: 0 },
    ...common(n),
  };
}

/** Half tasks, a quarter tickets, a quarter work orders. */
export function domainOf(n: number): Domain {
  const slot = n % 4;
  return slot < 2 ? 'task' : slot === 2 ? 'ticket' : 'work_order';
}

export function recordFor(domain: Domain, n: number): Record<string, unknown> {
  switch (domain) {
    case 'task':
      return taskRecord(n);
    case 'ticket':
      return ticketRecord(n);
    case 'work_order':
      return workOrderRecord(n);
  }
}

/** The fields a device typically changes (DOMAINS.md "Fields that change"). */
export function editOf(domain: Domain, record: Record<string, unknown>, n: number): Record<string, unknown> {
  switch (domain) {
    case 'task':
      return { ...record, jobstatus: 'COMPLETED', endtime: '2025-09-28T10:21:40+05:30', remarks: `Done, round ${n}` };
    case 'ticket':
      return { ...record, status: 'INPROGRESS', comments: `Technician update ${n}`, assignedtopeople: 3400 + (n % 9) };
    case 'work_order':
      return {
        ...record,
        workstatus: 'COMPLETED',
        endtime: '2025-09-28T15:02:00+05:30',
        attachmentcount: 4,
        other_data: { reply_from_vendor: `Tubes done, visit ${n}`, overall_score: 4, uptime_score: 5 },
      };
  }
}
