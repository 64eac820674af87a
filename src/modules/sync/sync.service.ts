import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import { isUuid } from '../../common/ids';
import { CursorCodec } from '../../common/pagination/cursor';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { AppConfig } from '../../config/app-config';
import { BandwidthService } from '../bandwidth/bandwidth.service';
import { ChangeDto, PullBodyDto, PullResponseDto } from './dto/sync.dto';
import { recordKey, RecordRow, SyncRecordRepository } from './sync-record.repository';

const MAX_KNOWN_VERSIONS = 10000;

const FEED_CURSOR = new CursorCodec('cs1:', [/^\d{1,18}$/]);

/** Opaque keyset cursor over change_seq. */
function encodeCursor(changeSeq: string): string {
  return FEED_CURSOR.encode([changeSeq]);
}

/** No cursor (absent, null or empty) starts at the beginning of the feed. */
function decodeCursor(cursor: string | null | undefined): string {
  if (cursor === undefined || cursor === null || cursor === '') return '0';
  return FEED_CURSOR.decode(cursor)[0];
}

@Injectable()
export class SyncService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly records: SyncRecordRepository,
    private readonly bandwidth: BandwidthService,
    private readonly config: AppConfig,
  ) {}

  /** One page of the tenant's changes feed, in change order, tombstones included. */
  async pull(principal: Principal, request: PullBodyDto, meter: SyncMeter): Promise<PullResponseDto> {
    const after = decodeCursor(request.cursor);
    const known = request.delta ? knownVersions(request.known_versions) : new Map<string, number>();
    const limit = request.network_quality
      ? Math.min(request.limit ?? 100, this.bandwidth.batchSizeFor(request.network_quality))
      : (request.limit ?? 100);
    const domains = request.domains ? [...new Set(request.domains.split(','))] : null;
    const { rows, fetched } = await this.records.changesAfter(
      this.db,
      principal.tenantId,
      after,
      domains,
      limit + 1,
      this.config.get('PULL_MAX_BYTES'),
    );
    const page = rows.slice(0, limit);
    meter.items = page.length;
    const changes =
      known.size > 0
        ? await this.withDeltas(principal.tenantId, page, known, meter)
        : page.map((row) => ChangeDto.from(row));
    return {
      changes,
      // An empty page still answers a cursor (where it stood), so a client can always send the last one back.
      next_cursor: encodeCursor(page.length > 0 ? page[page.length - 1].change_seq : after),
      has_more: fetched > page.length,
    };
  }

  /**
   * Sends a change as an RFC 6902 patch from the version the device holds (when that version is still in the
   * revision history and the patch is smaller than the record), counting the bytes saved.
   */
  private async withDeltas(
    tenantId: string,
    page: RecordRow[],
    known: Map<string, number>,
    meter: SyncMeter,
  ): Promise<ChangeDto[]> {
    const wanted = page
      .filter((row) => !row.deleted && (known.get(row.mobile_id) ?? row.version) < row.version)
      .map((row) => ({ domain: row.domain, mobileId: row.mobile_id, version: known.get(row.mobile_id)! }));
    const bases = new Map(
      (await this.records.findRevisions(this.db, tenantId, wanted)).map((rev) => [
        recordKey(rev.domain, rev.mobile_id),
        rev,
      ]),
    );
    return page.map((row) => {
      const base = bases.get(recordKey(row.domain, row.mobile_id));
      if (!base || base.deleted) return ChangeDto.from(row);
      const choice = this.bandwidth.deltaOrFull(base.data, row.data);
      if (!choice.patch) return ChangeDto.from(row);
      meter.bytesSavedDelta += choice.savedBytes;
      return ChangeDto.patch(row, base.version, choice.patch);
    });
  }
}

function knownVersions(raw: Record<string, number> | undefined): Map<string, number> {
  const entries = Object.entries(raw ?? {});
  if (entries.length > MAX_KNOWN_VERSIONS) {
    throw AppException.validation(`known_versions holds at most ${MAX_KNOWN_VERSIONS} records`, [
      { field: 'known_versions', message: `at most ${MAX_KNOWN_VERSIONS} entries` },
    ]);
  }
  const known = new Map<string, number>();
  for (const [mobileId, version] of entries) {
    if (!isUuid(mobileId) || !Number.isInteger(version) || version < 1 || version > 2147483647) {
      throw AppException.validation('known_versions maps record uuids to versions >= 1', [
        { field: `known_versions.${mobileId.slice(0, 64)}`, message: 'must be a uuid mapped to a whole version >= 1' },
      ]);
    }
    known.set(mobileId.toLowerCase(), version);
  }
  return known;
}
