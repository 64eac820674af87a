import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import type { SyncMeter } from '../../common/metering/sync-meter';
import type { ChangeDto, PullBodyDto, PullResponseDto } from './dto/sync.dto';
import { RecordRow, SyncRecordRepository } from './sync-record.repository';

const CURSOR_PREFIX = 'cs1:';

/** Opaque keyset cursor over change_seq. */
export function encodeCursor(changeSeq: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${changeSeq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === '') return '0';
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const seq = decoded.startsWith(CURSOR_PREFIX) ? decoded.slice(CURSOR_PREFIX.length) : '';
  if (!/^\d{1,18}$/.test(seq)) {
    throw AppException.validation('cursor is not a cursor this server issued', [
      { field: 'cursor', message: 'invalid cursor' },
    ]);
  }
  return seq;
}

@Injectable()
export class SyncService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly records: SyncRecordRepository,
  ) {}

  /** One page of the tenant's changes feed, in change order, tombstones included. */
  async pull(principal: Principal, request: PullBodyDto, meter: SyncMeter): Promise<PullResponseDto> {
    const after = decodeCursor(request.cursor);
    const limit = request.limit ?? 100;
    const domains = request.domains ? [...new Set(request.domains.split(','))] : null;
    const rows = await this.records.changesAfter(this.db, principal.tenantId, after, domains, limit + 1);
    const page = rows.slice(0, limit);
    meter.items = page.length;
    const changes = page.map(toChange);
    return {
      changes,
      next_cursor: page.length > 0 ? encodeCursor(page[page.length - 1].change_seq) : request.cursor || null,
      has_more: rows.length > limit,
    };
  }
}

function toChange(row: RecordRow): ChangeDto {
  return {
    domain: row.domain,
    mobile_id: row.mobile_id,
    version: row.version,
    deleted: row.deleted,
    data: row.deleted ? null : row.data,
    updated_at: row.updated_at.toISOString(),
  };
}
