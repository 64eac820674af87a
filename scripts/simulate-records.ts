/** Record shapes and edits per DOMAINS.md, drawn from a seeded random source so a run can be repeated. */
import { randomUUID } from 'node:crypto';

export type Domain = 'journal' | 'attendance' | 'task' | 'ticket' | 'work_order';
export type Data = Record<string, unknown>;

export interface Random {
  (): number;
  int(min: number, max: number): number;
  pick<T>(values: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast, good enough for a load simulation. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Random;
  next.int = (min, max) => min + Math.floor(next() * (max - min + 1));
  next.pick = (values) => values[Math.floor(next() * values.length)];
  next.chance = (p) => next() < p;
  return next;
}

/** The sites of the simulated directory: `bu` is the site id (group `site:<bu>`), `team` its people group. */
export const SITES = [
  { name: 'Tech Park Tower B', bu: 58, team: 7, lat: 12.935207, lng: 77.624513, location: 640 },
  { name: 'Riverside Mall', bu: 61, team: 8, lat: 12.97194, lng: 77.59369, location: 612 },
  { name: 'Airport Cargo Block 2', bu: 73, team: 9, lat: 13.19864, lng: 77.70661, location: 702 },
  { name: 'City Hospital Annex', bu: 80, team: 10, lat: 12.95917, lng: 77.64833, location: 655 },
];
export type Site = (typeof SITES)[number];

/**
 * Who writes a record: a technician's user id is its number as a string (records name users by number, and the
 * scope rules compare them as strings), at one site.
 */
export interface Staff {
  userNumber: number;
  site: Site;
}
const TASKS = [
  'Fire extinguisher check - Floor 3 East',
  'DG set weekly run test',
  'Lift machine room inspection',
  'STP blower lubrication',
  'Emergency light battery test - Stairwell A',
  'Pantry RO filter change',
  'Night patrol round - Basement parking',
];
const TICKETS = [
  'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
  'AC not cooling in conference room 2B, temperature above 28 C since morning.',
  'Main gate boom barrier stuck open, security manually checking vehicles.',
  'Washroom exhaust fan on Level 6 making loud grinding noise.',
  'Access card reader at Tower B lobby rejecting valid cards intermittently.',
];
const WORK_ORDERS = [
  'Chiller 2 quarterly PPM - condenser tube cleaning',
  'Replace corroded sprinkler heads - Basement 2',
  'Cooling tower fill media replacement',
  'Transformer oil BDV test',
];
const ENTRY_TYPES = ['site_inspection', 'safety_concern', 'end_of_shift_reflection', 'mood_check_in', 'stress_log'];
const TASK_MOVES: Record<string, string[]> = {
  ASSIGNED: ['INPROGRESS', 'STANDBY'],
  INPROGRESS: ['COMPLETED', 'PARTIALLYCOMPLETED', 'STANDBY'],
  PARTIALLYCOMPLETED: ['COMPLETED', 'INPROGRESS'],
  STANDBY: ['ASSIGNED', 'INPROGRESS'],
  COMPLETED: ['STANDBY'],
};
const TICKET_MOVES: Record<string, string[]> = {
  NEW: ['OPEN', 'INPROGRESS'],
  OPEN: ['INPROGRESS', 'ONHOLD', 'RESOLVED'],
  INPROGRESS: ['OPEN', 'ONHOLD', 'RESOLVED'],
  ONHOLD: ['OPEN', 'INPROGRESS', 'RESOLVED'],
  RESOLVED: ['CLOSED', 'OPEN'],
};
const WO_MOVES: Record<string, string[]> = {
  ASSIGNED: ['INPROGRESS', 'RE_ASSIGNED'],
  RE_ASSIGNED: ['INPROGRESS'],
  INPROGRESS: ['COMPLETED'],
  COMPLETED: ['CLOSED'],
};

function iso(date: Date, offsetMinutes = 330): string {
  const local = new Date(date.getTime() + offsetMinutes * 60000).toISOString().slice(0, 19);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function point(rnd: Random, site: (typeof SITES)[number]): string {
  const jitter = () => (rnd() - 0.5) / 5000;
  return `SRID=4326;POINT (${(site.lng + jitter()).toFixed(6)} ${(site.lat + jitter()).toFixed(6)})`;
}

function common(mobileId: string, staff: Staff, now: Date): Data {
  const userNumber = staff.userNumber;
  return {
    mobile_id: mobileId,
    uuid: randomUUID(),
    sync_status: 'pending_sync',
    created_at: iso(now),
    updated_at: iso(now),
    cuser: userNumber,
    muser: userNumber,
    tenant: 1,
    client: 4,
    bu: staff.site.bu,
    ctzoffset: 330,
  };
}

/**
 * A new record of a technician (a work order: created by the site's supervisor for the technician `staff`). Who
 * receives it follows from its fields: journal `user`, attendance and task `people`, task `pgroup` (the site's
 * team), ticket `cuser`, work order `people`, and `bu` (the site's supervisors).
 */
export function newRecord(domain: Domain, rnd: Random, staff: Staff, now: Date): Data {
  const mobileId = randomUUID();
  const { userNumber, site } = staff;
  switch (domain) {
    case 'journal': {
      const entryType = rnd.pick(ENTRY_TYPES);
      return {
        mobile_id: mobileId,
        uuid: randomUUID(),
        user: userNumber,
        sync_status: 'pending_sync',
        entry_type: entryType,
        title: `${entryType.replace(/_/g, ' ')} – ${site.name}`,
        content: 'Patrols on time. Fire panel showed a false alarm on B-12; reset after the detector was cleaned.',
        timestamp: iso(now),
        privacy_scope: rnd.pick(['private', 'manager', 'team']),
        consent_given: true,
        mood_rating: rnd.int(3, 9),
        stress_level: rnd.int(1, 5),
        energy_level: rnd.int(2, 9),
        stress_triggers: rnd.chance(0.3) ? ['false fire alarm'] : [],
        gratitude_items: ['helpful control room'],
        location_site_name: site.name,
        location_coordinates: { lat: site.lat, lng: site.lng },
        tags: ['shift', entryType],
        completion_rate: Math.round(rnd() * 100) / 100,
        is_bookmarked: false,
        is_draft: rnd.chance(0.2),
        created_at: iso(now),
        updated_at: iso(now),
      };
    }
    case 'attendance':
      return {
        ...common(mobileId, staff, now),
        people: userNumber,
        shift: rnd.pick([11, 12, 13]),
        peventtype: 301,
        geofence: 77,
        post: 903,
        datefor: now.toISOString().slice(0, 10),
        punchintime: iso(now),
        punchouttime: null,
        startlocation: point(rnd, site),
        endlocation: null,
        accuracy: rnd.int(5, 30),
        deviceid: randomUUID().replace(/-/g, '').slice(0, 16),
        duration: null,
        transportmodes: [rnd.pick(['BIKE', 'BUS', 'CAR', 'NONE'])],
        remarks: '',
        facerecognitionin: true,
        facerecognitionout: false,
      };
    case 'task': {
      const plan = new Date(now.getTime() + rnd.int(0, 8) * 3600000);
      return {
        ...common(mobileId, staff, now),
        people: userNumber,
        pgroup: site.team,
        jobdesc: rnd.pick(TASKS),
        identifier: rnd.pick(['TASK', 'PPM', 'INTERNALTOUR']),
        jobtype: rnd.pick(['SCHEDULE', 'ADHOC']),
        jobstatus: 'ASSIGNED',
        priority: rnd.pick(['HIGH', 'MEDIUM', 'MEDIUM', 'LOW']),
        scantype: rnd.pick(['QR', 'NFC', 'NONE']),
        plandatetime: iso(plan),
        expirydatetime: iso(new Date(plan.getTime() + 2 * 3600000)),
        gracetime: 15,
        starttime: null,
        endtime: null,
        gpslocation: point(rnd, site),
        remarks: '',
        job: rnd.int(1000, 2999),
        location: site.location,
        asset: rnd.int(20000, 22999),
        qset: rnd.int(290, 330),
      };
    }
    case 'ticket':
      return {
        ...common(mobileId, staff, now),
        ticketdesc: rnd.pick(TICKETS),
        status: 'NEW',
        priority: rnd.pick(['HIGH', 'HIGH', 'MEDIUM', 'LOW']),
        identifier: rnd.pick(['REQUEST', 'TICKET']),
        ticketsource: 'USERDEFINED',
        assignedtopeople: null,
        assignedtogroup: site.team,
        ticketcategory: rnd.int(400, 430),
        location: site.location,
        comments: '',
        escalation_level: 0,
        escalated_at: null,
        escalated_by: null,
      };
    case 'work_order':
      return {
        ...common(mobileId, staff, now),
        people: userNumber,
        identifier: 'WO',
        description: rnd.pick(WORK_ORDERS),
        workstatus: 'ASSIGNED',
        priority: rnd.pick(['HIGH', 'MEDIUM', 'LOW']),
        workpermit: rnd.pick(['NOT_REQUIRED', 'APPROVED', 'PENDING']),
        verifiers_status: 'PENDING',
        plandatetime: iso(now),
        expirydatetime: iso(new Date(now.getTime() + 9 * 3600000)),
        starttime: null,
        endtime: null,
        gpslocation: point(rnd, site),
        asset: rnd.int(20000, 22999),
        location: site.location,
        qset: rnd.int(290, 330),
        vendor: rnd.int(60, 80),
        performedby: rnd.pick(['CoolAir Services', 'AquaFix Plumbing', 'Spark Electricals']),
        approvers: ['3301'],
        verifiers: ['2210'],
        categories: ['HVAC'],
        attachmentcount: 0,
        other_data: { reply_from_vendor: '', overall_score: 0, uptime_score: 0 },
        wo_history: [],
      };
  }
}

/** A technician's offline edit: the fields DOMAINS.md lists as changing. */
export function techEdit(domain: Domain, data: Data, rnd: Random, userNumber: number, now: Date): Data {
  const next: Data = { ...data, muser: userNumber, updated_at: iso(now), sync_status: 'pending_sync' };
  switch (domain) {
    case 'journal':
      next.content = `${text(data.content, '')} Update ${now.toISOString().slice(11, 16)}.`.slice(-1800);
      next.is_bookmarked = !data.is_bookmarked;
      next.is_draft = false;
      break;
    case 'attendance': {
      const punchIn = new Date(text(data.punchintime, now.toISOString()));
      next.punchouttime = iso(now);
      next.endlocation = data.startlocation;
      next.duration = Math.max(1, Math.round((now.getTime() - punchIn.getTime()) / 60000));
      next.facerecognitionout = true;
      break;
    }
    case 'task': {
      next.jobstatus = rnd.pick(TASK_MOVES[String(data.jobstatus)] ?? ['INPROGRESS']);
      if (next.jobstatus === 'INPROGRESS' && !data.starttime) next.starttime = iso(now);
      if (next.jobstatus === 'COMPLETED') next.endtime = iso(now);
      next.remarks = rnd.pick(['', 'Gauge low, tagged for refill', 'Checked OK', 'Access denied, retry tomorrow']);
      break;
    }
    case 'ticket': {
      const status = rnd.pick(TICKET_MOVES[String(data.status)] ?? ['OPEN']);
      next.status = status;
      next.comments = rnd.pick(['Plumber on site, valve isolated', 'Waiting for spare part', 'Checked, monitoring']);
      break;
    }
    case 'work_order': {
      const status = rnd.pick(WO_MOVES[String(data.workstatus)] ?? ['INPROGRESS']);
      next.workstatus = status;
      if (status === 'INPROGRESS' && !data.starttime) next.starttime = iso(now);
      if (status === 'COMPLETED') next.endtime = iso(now);
      next.attachmentcount = Number(data.attachmentcount ?? 0) + rnd.int(0, 2);
      next.other_data = { ...(data.other_data as Data), reply_from_vendor: rnd.pick(['Tubes 60% done', 'On the way']) };
      const history = Array.isArray(data.wo_history) ? (data.wo_history as Data[]) : [];
      next.wo_history = [...history, { at: iso(now), workstatus: status, by: userNumber }].slice(-10);
      break;
    }
  }
  return next;
}

/**
 * What a site's supervisor does while phones are offline: escalate and assign tickets, put tasks on standby,
 * reassign work orders to another technician of the site (`colleagues`: the site's technicians but the assignee).
 * Assignment and escalation fields are supervisor-only under the default scope rules.
 */
export function serverEdit(domain: Domain, data: Data, rnd: Random, now: Date, colleagues: readonly number[]): Data {
  const next: Data = { ...data, updated_at: iso(now), muser: 1 };
  if (domain === 'ticket') {
    next.escalation_level = Number(data.escalation_level ?? 0) + 1;
    next.escalated_at = iso(now);
    next.escalated_by = 'system';
    if (data.status === 'NEW') next.status = 'OPEN';
    if (colleagues.length > 0 && rnd.chance(0.5)) next.assignedtopeople = rnd.pick(colleagues);
  } else if (domain === 'task') {
    next.jobstatus = 'STANDBY';
    next.remarks = 'Put on standby by the control room';
  } else if (domain === 'work_order') {
    next.verifiers_status = rnd.pick(['PENDING', 'APPROVED']);
    if (colleagues.length > 0) {
      next.people = rnd.pick(colleagues);
      next.workstatus = 'RE_ASSIGNED';
      const history = Array.isArray(data.wo_history) ? (data.wo_history as Data[]) : [];
      next.wo_history = [...history, { at: iso(now), workstatus: 'RE_ASSIGNED', to: next.people }].slice(-10);
    }
  }
  return next;
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

export function priorityOf(data: Data): 'high' | 'medium' | 'low' {
  const value = text(data.priority, 'MEDIUM').toLowerCase();
  return value === 'high' || value === 'low' ? value : 'medium';
}
