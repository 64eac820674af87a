import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ConflictLogInsert, ConflictLogRepository } from './conflict-log.repository';
import type { NotificationService } from '../notification/notification.service';
import { ConflictLogService } from './conflict-log.service';

function insert(overrides: Partial<ConflictLogInsert> = {}): ConflictLogInsert {
  return {
    id: randomUUID(),
    domain: 'task',
    mobileId: randomUUID(),
    deviceId: 'd1',
    userId: 'u1',
    serverVersion: 2,
    clientVersion: 3,
    baseVersion: 1,
    strategy: 'server_wins',
    result: 'resolved',
    winningVersion: 'server',
    mergeDetails: { from_client: [], from_server: [], conflicting_fields: [], three_way: true },
    serverEntry: {},
    clientEntry: {},
    baseEntry: null,
    resultEntry: {},
    source: 'push',
    queueItemId: null,
    clientMutationId: null,
    resolvedBy: 'policy',
    resolvedAt: null,
    notify: false,
    ...overrides,
  };
}

function setup() {
  const logs = { insertMany: jest.fn(async () => undefined) };
  const notifications = { enqueue: jest.fn(async () => undefined) };
  const service = new ConflictLogService(
    logs as unknown as ConflictLogRepository,
    notifications as unknown as NotificationService,
  );
  return { service, logs, notifications };
}

describe(ConflictLogService.name, () => {
  it('logs a batch with one insert and one enqueue of the notifying conflicts only', async () => {
    const { service, logs, notifications } = setup();
    const batch = [insert(), insert({ notify: true, domain: 'ticket' }), insert()];
    await service.recordConflicts({} as DataSource, '7', batch);
    expect(logs.insertMany).toHaveBeenCalledTimes(1);
    expect(logs.insertMany).toHaveBeenCalledWith({}, '7', batch);
    expect(notifications.enqueue).toHaveBeenCalledTimes(1);
    const queued = (notifications.enqueue.mock.calls[0] as unknown[])[2] as Array<{ payload: { conflict_id: string } }>;
    expect(queued.map((n) => n.payload.conflict_id)).toEqual([batch[1].id]);
  });

  it('does nothing for an empty batch', async () => {
    const { service, logs, notifications } = setup();
    await service.recordConflicts({} as DataSource, '7', []);
    expect(logs.insertMany).not.toHaveBeenCalled();
    expect(notifications.enqueue).not.toHaveBeenCalled();
  });
});
