import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, Principal, requireSyncUser } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import { isUuid } from '../../common/ids';
import { CursorCodec } from '../../common/pagination/cursor';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { AppConfig } from '../../config/app-config';
import { BandwidthService } from '../bandwidth/bandwidth.service';
import { deepEqual } from '../conflict/conflict.policy';
import { RecordShapeService } from '../record-shape/record-shape.service';
import { FeedPosition, ScopeFeedService } from '../scope/scope-feed.service';
import { ChangeDto, PullBodyDto, PullResponseDto, RemovalDto } from './dto/sync.dto';
import { recordKey, RecordRow, SyncRecordRepository } from './sync-record.repository';
import { SyncPositionService } from './sync-position.service';

const MAX_KNOWN_VERSIONS = 10000;

const SEQ = /^\d{1,18}$/;
/** The first cursor: a change_seq only (still accepted). */
const FEED_CURSOR_V1 = new CursorCodec('cs1:', [SEQ]);
/** change_seq, known grant horizon, then the back-fill position (target, domain, mobile_id, key; empty when none). */
const FEED_CURSOR = new CursorCodec('cs2:', [
  SEQ,
  SEQ,
  /^(\d{1,18})?$/,
  /^[a-z_]{0,32}$/,
  /^([0-9a-f-]{36})?$/,
  /^\S{0,300}$/,
]);

/** The feed cursor at a change_seq with no back-fill pending (the snapshot's last page hands one over to the feed). */
export function encodeCursor(changeSeq: string): string {
  return encodePosition({ seq: changeSeq, known: changeSeq, backfill: null });
}

/** Opaque keyset cursor over change_seq, with the position of a back-fill of newly granted scope keys. */
function encodePosition(position: FeedPosition): string {
  const backfill = position.backfill;
  return FEED_CURSOR.encode([
    position.seq,
    position.known,
    backfill?.target ?? '',
    backfill?.after?.domain ?? '',
    backfill?.after?.mobile_id ?? '',
    backfill?.key ?? '',
  ]);
}

/** No cursor (absent, null or empty) starts at the beginning of the feed. */
function decodeCursor(cursor: string | null | undefined): FeedPosition {
  if (cursor === undefined || cursor === null || cursor === '') return { seq: '0', known: '0', backfill: null };
  const v1 = FEED_CURSOR_V1.tryDecode(cursor);
  if (v1) return { seq: v1[0], known: v1[0], backfill: null };
  const [seq, known, target, domain, mobileId, key] = FEED_CURSOR.decode(cursor);
  if (target === '' || key === '') return { seq, known, backfill: null };
  return { seq, known, backfill: { target, key, after: domain && mobileId ? { domain, mobile_id: mobileId } : null } };
}

type Entry = RecordRow | RemovalDto;

/** A pull page and the scope keys it was read through: null for the tenant feed (an admin reads every change). */
export interface FeedRead {
  page: PullResponseDto;
  keys: string[] | null;
}

interface EntryPage {
  entries: Entry[];
  position: FeedPosition;
  hasMore: boolean;
  keys: string[] | null;
}

function isRemoval(entry: Entry): entry is RemovalDto {
  return 'removed' in entry;
}

@Injectable()
export class SyncService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly records: SyncRecordRepository,
    private readonly bandwidth: BandwidthService,
    private readonly positions: SyncPositionService,
    private readonly feed: ScopeFeedService,
    private readonly config: AppConfig,
    private readonly shapes: RecordShapeService,
  ) {}

  /**
   * One page of the caller's changes feed, in change order, tombstones included: the tenant's feed for an admin,
   * the logs of its scope keys (and back-fills of keys granted since its cursor) for a sync user.
   */
  async pull(principal: Principal, request: PullBodyDto, meter: SyncMeter): Promise<PullResponseDto> {
    return (await this.read(principal, request, meter)).page;
  }

  /** A pull that also says which scope keys the caller reads through, so a live reader wakes only for those. */
  async read(principal: Principal, request: PullBodyDto, meter: SyncMeter): Promise<FeedRead> {
    requireSyncUser(principal);
    const from = decodeCursor(request.cursor);
    const known = request.delta ? knownVersions(request.known_versions) : new Map<string, number>();
    const limit = request.network_quality
      ? Math.min(request.limit ?? 100, this.bandwidth.batchSizeFor(request.network_quality))
      : (request.limit ?? 100);
    const domains = request.domains ? [...new Set(request.domains.split(','))] : null;
    const page =
      isAdmin(principal) || principal.userId === null
        ? await this.tenantPage(principal.tenantId, from, domains, limit)
        : await this.scopedPage(principal.tenantId, principal.userId, from, domains, limit);
    await this.positions.acknowledge(principal, from.seq, !request.cursor);
    meter.items = page.entries.length;
    const records = page.entries.filter((entry): entry is RecordRow => !isRemoval(entry));
    const changes =
      known.size > 0
        ? await this.withDeltas(principal.tenantId, records, known, meter)
        : records.map((row) => ChangeDto.from(row));
    const shaped = request.schema_version
      ? await this.inVersions(principal.tenantId, records, changes, request.schema_version)
      : changes;
    const byRecord = new Map(shaped.map((change) => [recordKey(change.domain, change.mobile_id), change]));
    return {
      page: {
        changes: page.entries.map((entry) =>
          isRemoval(entry) ? entry : byRecord.get(recordKey(entry.domain, entry.mobile_id))!,
        ),
        // An empty page still answers a cursor (where it stood), so a client can always send the last one back.
        next_cursor: encodePosition(page.position),
        has_more: page.hasMore,
      },
      keys: page.keys,
    };
  }

  /**
   * The page in the schema versions the device asked for: a downcast change goes with its full data (a patch is
   * computed between current shapes), its `schema_version` and the steps that could not be undone.
   */
  private async inVersions(
    tenantId: string,
    records: RecordRow[],
    changes: ChangeDto[],
    asked: string,
  ): Promise<ChangeDto[]> {
    const versions = parseSchemaVersions(asked);
    const live = records.filter((row) => !row.deleted);
    const shaped = await this.shapes.downcastRecords(
      tenantId,
      live.map((row) => ({ key: recordKey(row.domain, row.mobile_id), domain: row.domain, data: row.data })),
      (domain) => versions.get(domain) ?? versions.get('*'),
    );
    const rows = new Map(live.map((row) => [recordKey(row.domain, row.mobile_id), row]));
    return changes.map((change) => {
      const key = recordKey(change.domain, change.mobile_id);
      const shape = shaped.get(key);
      if (!shape) return change;
      const unchanged = deepEqual(shape.data, rows.get(key)!.data);
      const base = unchanged ? change : ChangeDto.from(rows.get(key)!);
      return {
        ...base,
        ...(unchanged ? {} : { data: shape.data }),
        schema_version: shape.schema_version,
        ...(shape.lossy.length > 0 ? { lossy: shape.lossy } : {}),
      };
    });
  }

  private async tenantPage(
    tenantId: string,
    from: FeedPosition,
    domains: string[] | null,
    limit: number,
  ): Promise<EntryPage> {
    const { rows, fetched } = await this.records.changesAfter(
      this.db,
      tenantId,
      from.seq,
      domains,
      limit + 1,
      this.config.get('PULL_MAX_BYTES'),
    );
    const entries = rows.slice(0, limit);
    const seq = entries.length > 0 ? entries[entries.length - 1].change_seq : from.seq;
    return { entries, position: { seq, known: seq, backfill: null }, hasMore: fetched > entries.length, keys: null };
  }

  /**
   * One entry per record: the current version when one of the user's keys still reaches it, a removal when the page
   * holds the entry that took it out of the user's scope (a record out of reach whose removal lies further on waits
   * for it, so it is removed once). Cut at PULL_MAX_BYTES of record JSON like the tenant's pages: the records past
   * the budget are never loaded, and the page ends (has_more) before the first of them.
   */
  private async scopedPage(
    tenantId: string,
    userId: string,
    asked: FeedPosition,
    domains: string[] | null,
    limit: number,
  ): Promise<EntryPage> {
    const page = await this.feed.page(this.db, tenantId, userId, asked, domains, limit);
    // The position the page was read from: the one asked for, or the start of a back-fill of a purged log.
    const from = page.from;
    const wanted = page.kind === 'backfill' ? page.records : page.records.filter((row) => row.reachable);
    const { rows, covered } = await this.records.findWithin(
      this.db,
      tenantId,
      wanted.map((row) => ({ domain: row.domain, mobileId: row.mobile_id })),
      this.config.get('PULL_MAX_BYTES'),
    );
    const current = new Map(rows.map((row) => [recordKey(row.domain, row.mobile_id), row]));
    const cut = covered < wanted.length;
    const entries: Entry[] = [];
    const sent = new Set<string>();
    if (page.kind === 'backfill') {
      const records = page.records.slice(0, covered);
      const last = records[records.length - 1];
      // Cut by bytes: the back-fill goes on after the last record held, under the same key.
      const position: FeedPosition = cut
        ? {
            seq: from.seq,
            known: from.known,
            backfill: {
              target: page.position.backfill?.target ?? page.position.known,
              key: last.key,
              after: { domain: last.domain, mobile_id: last.mobile_id },
            },
          }
        : page.position;
      for (const row of records) {
        const record = current.get(recordKey(row.domain, row.mobile_id));
        // A back-fill brings what changed before the cursor (later changes come through the log, which now reads the
        // new keys); a deletion the phone never saw is no news to it.
        if (!record || record.deleted || BigInt(record.change_seq) > BigInt(from.seq)) continue;
        if (sent.has(recordKey(row.domain, row.mobile_id))) continue;
        sent.add(recordKey(row.domain, row.mobile_id));
        entries.push(record);
      }
      return { entries, position, hasMore: cut || page.hasMore, keys: page.keys };
    }
    // Cut by bytes: the log page ends with the last record the budget held (a later record's earlier entries are
    // no loss: a record is sent whole, with its last entry).
    const upTo = cut ? page.records.filter((row) => row.reachable)[covered - 1].last_seq : null;
    const records = upTo === null ? page.records : page.records.filter((row) => BigInt(row.last_seq) <= BigInt(upTo));
    const position: FeedPosition =
      upTo === null
        ? page.position
        : { seq: upTo, known: BigInt(from.known) > BigInt(upTo) ? from.known : upTo, backfill: null };
    for (const row of records) {
      const record = row.reachable ? current.get(recordKey(row.domain, row.mobile_id)) : undefined;
      // A record changed again after this page's entry for it is sent with that later entry: once, not twice.
      if (record && BigInt(record.change_seq) > BigInt(row.last_seq)) continue;
      if (record) entries.push(record);
      else if (!row.reachable && row.remove_reason !== null) entries.push(RemovalDto.of(row, row.remove_reason));
    }
    return { entries, position, hasMore: cut || page.hasMore, keys: page.keys };
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

/** `3` (every domain) or `task:1,ticket:2`, as the DTO's pattern lets it through. */
function parseSchemaVersions(raw: string): Map<string, number> {
  if (/^\d+$/.test(raw)) return new Map([['*', Number(raw)]]);
  return new Map(
    raw.split(',').map((pair) => {
      const [domain, version] = pair.split(':');
      return [domain, Number(version)] as const;
    }),
  );
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
