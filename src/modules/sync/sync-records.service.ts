import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Domain } from '../../common/domain';
import { ScopeIndexService } from '../scope/scope-index.service';
import { SyncRulesService } from '../scope/sync-rules.service';
import { SyncRecordRepository } from './sync-record.repository';

export interface NewVersion {
  domain: string;
  mobileId: string;
  data: Record<string, unknown>;
  deleted?: boolean;
  userId: string | null;
  deviceId: string | null;
  /** manual (review decision), restore (undo of an automatic resolution), push, conflict. */
  origin: string;
  clientUpdatedAt?: Date | null;
}

/**
 * The one way records change outside the push path: always a new version with its revision and its scope keys,
 * never an edit.
 */
@Injectable()
export class SyncRecordsService {
  constructor(
    private readonly records: SyncRecordRepository,
    private readonly rules: SyncRulesService,
    private readonly scopes: ScopeIndexService,
  ) {}

  /** Locks the record and writes the next version and its scope keys; call inside a transaction (pass its manager). */
  async writeNewVersion(
    manager: EntityManager,
    tenantId: string,
    change: NewVersion,
  ): Promise<{ version: number; change_seq: string }> {
    const key = { domain: change.domain, mobileId: change.mobileId };
    await this.records.lock(manager, tenantId, [key]);
    const current = (await this.records.find(manager, tenantId, [key]))[0];
    const version = (current?.version ?? 0) + 1;
    const [written] = await this.records.write(manager, tenantId, [
      {
        ...key,
        version,
        data: change.data,
        deleted: change.deleted ?? false,
        clientUpdatedAt: change.clientUpdatedAt ?? null,
        userId: change.userId,
        deviceId: change.deviceId,
        clientMutationId: null,
        origin: change.origin,
      },
    ]);
    await this.scopes.writeRecordKeys(manager, tenantId, await this.rules.rulesFor(manager, tenantId), [
      {
        domain: change.domain as Domain,
        mobileId: change.mobileId,
        version,
        data: change.data,
        deleted: change.deleted ?? false,
        userId: change.userId,
        changeSeq: written.change_seq,
      },
    ]);
    return { version: written.version, change_seq: written.change_seq };
  }
}
