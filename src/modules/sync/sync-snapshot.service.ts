import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, Principal, requireSyncUser } from '../../common/auth/principal';
import { DirectoryService } from '../scope/directory.service';
import { ScopeIndexService } from '../scope/scope-index.service';
import { CursorCodec } from '../../common/pagination/cursor';
import { AppConfig } from '../../config/app-config';
import { SnapshotPageDto, SnapshotQueryDto } from './dto/sync-snapshot.dto';
import { SyncPositionService } from './sync-position.service';
import { SnapshotFilter, SnapshotPosition, SnapshotRow, SyncSnapshotRepository } from './sync-snapshot.repository';
import { encodeCursor } from './sync.service';

/** (snapshot_seq, rank, change_seq of the last row sent, estimated_total). */
const SNAPSHOT_CURSOR = new CursorCodec('ss1:', [/^\d{1,18}$/, /^[01]$/, /^\d{1,18}$/, /^\d{1,10}$/]);

interface SnapshotState {
  upTo: string;
  after: SnapshotPosition | null;
  total: number;
}

/**
 * Replacement and first syncs: the caller's current records as of one feed position (snapshot_seq), in pages,
 * then the feed from that position. A record changed during the snapshot leaves it (its change_seq moves above
 * snapshot_seq) and comes through the feed instead, so nothing is missed and no version arrives twice.
 */
@Injectable()
export class SyncSnapshotService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly snapshots: SyncSnapshotRepository,
    private readonly positions: SyncPositionService,
    private readonly directory: DirectoryService,
    private readonly scopes: ScopeIndexService,
    private readonly config: AppConfig,
  ) {}

  /**
   * One page as the JSON text of a SnapshotPageDto. The records' JSON comes from PostgreSQL as text and is spliced in
   * as it is (SnapshotRow.data_json): parsing it into objects only to serialise them again was most of a page's time.
   */
  async page(principal: Principal, query: SnapshotQueryDto): Promise<string> {
    const limit = query.limit ?? 100;
    requireSyncUser(principal);
    const keys =
      isAdmin(principal) || principal.userId === null
        ? null
        : (await this.directory.scopeOf(this.db, principal.tenantId, principal.userId)).keys;
    const filter: SnapshotFilter = {
      domains: query.domains ? [...new Set(query.domains.split(','))] : null,
      keys,
      holdsAnyKey: (record, keysParam) => this.scopes.holdsAnyKeySql(record, keysParam),
    };
    const state = query.cursor ? decodeSnapshotCursor(query.cursor) : await this.start(principal, filter);
    const { rows, fetched } = await this.snapshots.page(
      this.db,
      principal.tenantId,
      state.upTo,
      state.after,
      filter,
      limit + 1,
      this.config.get('PULL_MAX_BYTES'),
    );
    const page = rows.slice(0, limit);
    const hasMore = fetched > page.length;
    const last = page[page.length - 1];
    const rest: Omit<SnapshotPageDto, 'changes'> = {
      next_cursor:
        hasMore && last
          ? SNAPSHOT_CURSOR.encode([state.upTo, String(last.rank), last.change_seq, String(state.total)])
          : encodeCursor(state.upTo),
      has_more: hasMore,
      estimated_total: state.total,
      snapshot_seq: Number(state.upTo),
    };
    return `{"changes":[${page.map(changeJson).join(',')}],${JSON.stringify(rest).slice(1)}`;
  }

  /**
   * Takes the feed position and records it as the device's, so the purge keeps the history after it while the
   * snapshot runs.
   */
  private async start(principal: Principal, filter: SnapshotFilter): Promise<SnapshotState> {
    const upTo = await this.db.transaction((manager) => this.snapshots.position(manager, principal.tenantId));
    await this.positions.acknowledge(principal, upTo, true);
    return { upTo, after: null, total: await this.snapshots.count(this.db, principal.tenantId, upTo, filter) };
  }
}

/** A ChangeDto's JSON (same fields, same order as ChangeDto.from) around the record's JSON text. */
function changeJson(row: SnapshotRow): string {
  return (
    `{"domain":${JSON.stringify(row.domain)},"mobile_id":${JSON.stringify(row.mobile_id)},"version":${row.version},` +
    `"deleted":false,"data":${row.data_json},"updated_at":"${row.updated_at.toISOString()}"}`
  );
}

function decodeSnapshotCursor(cursor: string): SnapshotState {
  const [upTo, rank, changeSeq, total] = SNAPSHOT_CURSOR.decode(cursor);
  return { upTo, after: { rank: Number(rank), changeSeq }, total: Number(total) };
}
