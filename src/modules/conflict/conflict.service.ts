// TEMPORARY stub of the ConflictService contract used by the push path; replaced by the ConflictModule branch.
import { Injectable } from '@nestjs/common';
import { DOMAINS } from '../../common/domain';
import { Queryable } from '../../database/sql';
import { NotificationRepository } from '../notification/notification.repository';
import { defaultPolicy, EffectivePolicy, Entry, MergeDetails } from './conflict.policy';

export interface ConflictLogInsert {
  id: string;
  domain: string;
  mobileId: string | null;
  deviceId: string | null;
  userId: string | null;
  serverVersion: number | null;
  clientVersion: number | null;
  baseVersion: number | null;
  strategy: string;
  result: 'resolved' | 'manual_required' | 'failed';
  winningVersion: 'client' | 'server' | 'merged' | 'none';
  mergeDetails: MergeDetails | Record<string, unknown>;
  serverEntry: Entry;
  clientEntry: Entry;
  baseEntry: Entry | null;
  resultEntry: Entry | null;
  source: 'push' | 'api';
  queueItemId: string | null;
  clientMutationId: string | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  notify: boolean;
}

@Injectable()
export class ConflictService {
  constructor(private readonly notifications: NotificationRepository) {}

  policiesFor(_db: Queryable, _tenantId: string): Promise<Map<string, EffectivePolicy>> {
    return Promise.resolve(new Map(DOMAINS.map((domain) => [domain, defaultPolicy(domain)])));
  }

  async recordConflicts(db: Queryable, tenantId: string, conflicts: ConflictLogInsert[]): Promise<void> {
    this.logged.push(...conflicts);
    await this.notifications.enqueue(db, tenantId, []);
  }

  readonly logged: ConflictLogInsert[] = [];
}
