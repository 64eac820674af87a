import { randomUUID } from 'node:crypto';

let counter = 0;

export interface ItemOverrides {
  client_mutation_id?: string;
  domain?: string;
  mobile_id?: string;
  base_version?: number;
  data?: Record<string, unknown>;
  client_updated_at?: string | null;
  deleted?: boolean;
  priority?: 'high' | 'medium' | 'low';
}

/** A task edit shaped like DOMAINS.md (about 500 B). */
export function taskData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jobdesc: 'Fire extinguisher check - Floor 3 East',
    identifier: 'TASK',
    jobtype: 'SCHEDULE',
    jobstatus: 'ASSIGNED',
    priority: 'HIGH',
    scantype: 'QR',
    plandatetime: '2025-09-28T10:00:00+05:30',
    expirydatetime: '2025-09-28T12:00:00+05:30',
    gracetime: 15,
    gpslocation: 'SRID=4326;POINT (77.624431 12.935322)',
    remarks: '',
    job: 1882,
    location: 640,
    asset: 21877,
    qset: 312,
    ...overrides,
  };
}

export function ticketData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ticketno: 'T04812',
    ticketdesc: 'Water leaking from ceiling near Level 4 pantry. Floor wet and slippery, needs plumber today.',
    status: 'OPEN',
    priority: 'HIGH',
    identifier: 'TICKET',
    ticketsource: 'USERDEFINED',
    assignedtopeople: 3301,
    ticketcategory: 415,
    location: 640,
    comments: '',
    ...overrides,
  };
}

/** One push item with fresh ids. */
export function pushItem(overrides: ItemOverrides = {}): Required<Omit<ItemOverrides, 'client_updated_at'>> & {
  client_updated_at: string | null;
} {
  counter += 1;
  return {
    client_mutation_id: `m-${counter}-${randomUUID().slice(0, 8)}`,
    domain: 'task',
    mobile_id: randomUUID(),
    base_version: 0,
    data: taskData(),
    client_updated_at: '2025-09-28T09:00:00Z',
    deleted: false,
    priority: 'medium',
    ...overrides,
  };
}
