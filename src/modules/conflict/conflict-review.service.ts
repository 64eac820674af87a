import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { isUuid, UUID_PATTERN } from '../../common/ids';
import { CursorCodec } from '../../common/pagination/cursor';
import { parseQueryInstant } from '../../common/time/instant';
import type { Queryable } from '../../database/sql';
import { AppConfig } from '../../config/app-config';
import { SyncRecordsService } from '../sync/sync-records.service';
import { ConflictLogRepository } from './conflict-log.repository';
import {
  ConflictActionResultDto,
  ConflictLogDto,
  ConflictPageDto,
  ListConflictsQueryDto,
  ResolveManualDto,
} from './dto/conflict.dto';

const CURSOR = new CursorCodec('', [/^\d{1,20}$/, new RegExp(UUID_PATTERN)]);
const DEFAULT_LIMIT = 50;

function actor(principal: Principal): string {
  return principal.userId ?? 'admin';
}

/** Reading the conflict log and acting on it: a reviewer's decision, or undoing an automatic resolution. */
@Injectable()
export class ConflictReviewService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly logs: ConflictLogRepository,
    private readonly records: SyncRecordsService,
    private readonly config: AppConfig,
  ) {}

  async list(tenantId: string, query: ListConflictsQueryDto): Promise<ConflictPageDto> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const since = parseQueryInstant(query.since);
    const after = query.cursor === undefined ? null : CURSOR.decode(query.cursor);
    const { rows, fetched } = await this.logs.page(
      this.db,
      tenantId,
      {
        domain: query.domain ?? null,
        result: query.result ?? null,
        awaitingReview: query.awaiting_review ?? null,
        since: since === null ? null : new Date(since),
        after: after === null ? null : { createdUs: after[0], id: after[1] },
      },
      limit + 1,
      this.config.get('LIST_MAX_BYTES'),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ConflictLogDto.from(row)),
      next_cursor: fetched > page.length ? CURSOR.encode([last.created_us, last.id]) : null,
    };
  }

  async get(tenantId: string, id: string): Promise<ConflictLogDto> {
    const row = isUuid(id) ? await this.logs.findById(this.db, tenantId, id) : undefined;
    if (!row) throw AppException.notFound(`conflict ${id}`);
    return ConflictLogDto.from(row);
  }

  /**
   * A reviewer's decision on a manual_required conflict: in one transaction the log is marked resolved (only if it
   * still awaits review) and the chosen copy becomes the record's next version.
   */
  async resolve(principal: Principal, id: string, decision: ResolveManualDto): Promise<ConflictActionResultDto> {
    const { choose, merged_entry: mergedEntry } = decision;
    if (choose === 'merged' && mergedEntry === undefined) {
      throw AppException.validation('merged_entry is required with choose=merged', [
        { field: 'merged_entry', message: 'merged_entry is required with choose=merged' },
      ]);
    }
    if (choose !== 'merged' && mergedEntry !== undefined) {
      throw AppException.validation('merged_entry is only allowed with choose=merged', [
        { field: 'merged_entry', message: 'merged_entry is only allowed with choose=merged' },
      ]);
    }
    if (!isUuid(id)) throw AppException.notFound(`conflict ${id}`);
    return this.db.transaction(async (manager) => {
      const tenantId = principal.tenantId;
      const row = await this.logs.markResolved(manager, tenantId, id, choose, mergedEntry ?? null, actor(principal));
      if (!row) throw await this.notAwaitingReview(manager, tenantId, id);
      if (row.source !== 'push' || row.mobile_id === null) return ConflictActionResultDto.fromAction(row, null);
      const written = await this.records.writeNewVersion(manager, tenantId, {
        domain: row.domain,
        mobileId: row.mobile_id,
        data: row.result_entry ?? {},
        userId: principal.userId,
        deviceId: principal.deviceId,
        origin: 'manual',
      });
      return ConflictActionResultDto.fromAction(row, written.version);
    });
  }

  /**
   * Undoes an automatic push resolution by writing its losing copy as the record's next version (history is never
   * edited): the server copy when the client won, else the client copy as the device sent it.
   */
  async restore(principal: Principal, id: string): Promise<ConflictActionResultDto> {
    if (!isUuid(id)) throw AppException.notFound(`conflict ${id}`);
    return this.db.transaction(async (manager) => {
      const row = await this.logs.markRestored(manager, principal.tenantId, id, actor(principal));
      if (!row) throw await this.notRestorable(manager, principal.tenantId, id);
      const written = await this.records.writeNewVersion(manager, principal.tenantId, {
        domain: row.domain,
        mobileId: row.mobile_id!,
        data: row.winning_version === 'client' ? row.server_entry : row.client_entry,
        userId: principal.userId,
        deviceId: principal.deviceId,
        origin: 'restore',
      });
      return ConflictActionResultDto.fromAction(row, written.version);
    });
  }

  private async notAwaitingReview(db: Queryable, tenantId: string, id: string): Promise<AppException> {
    const row = await this.logs.findById(db, tenantId, id);
    if (!row) return AppException.notFound(`conflict ${id}`);
    if (row.resolution_result === 'failed') {
      return new AppException(ErrorCode.Conflict, `conflict ${id} failed; it is not awaiting review`);
    }
    return new AppException(ErrorCode.AlreadyResolved, `conflict ${id} is already resolved`);
  }

  private async notRestorable(db: Queryable, tenantId: string, id: string): Promise<AppException> {
    const row = await this.logs.findById(db, tenantId, id);
    if (!row) return AppException.notFound(`conflict ${id}`);
    if (row.restored_at !== null) return new AppException(ErrorCode.Conflict, `conflict ${id} is already restored`);
    if (row.resolution_result !== 'resolved') {
      return new AppException(
        ErrorCode.Conflict,
        `conflict ${id} was not resolved automatically (${row.resolution_result}); resolve it instead`,
      );
    }
    return new AppException(
      ErrorCode.Conflict,
      `conflict ${id} was logged by the resolve API and changed no record; nothing to restore`,
    );
  }
}
