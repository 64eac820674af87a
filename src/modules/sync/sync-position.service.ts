import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { CursorCodec } from '../../common/pagination/cursor';
import { DevicePositionDto, DevicePositionPageDto, DevicePositionsQueryDto } from './dto/sync-snapshot.dto';
import { SyncDeviceCursorRepository } from './sync-device-cursor.repository';

/** (user id in hex, device id): user ids may hold the codec's separator. */
const DEVICE_CURSOR = new CursorCodec('dp1:', [/^[0-9a-f]{0,512}$/, /^.{1,128}$/]);

/** Where each device stands in the feed, and whether the feed can still serve it. */
@Injectable()
export class SyncPositionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly positions: SyncDeviceCursorRepository,
  ) {}

  /**
   * Records the position a device acknowledged with its pull (the cursor it sent; fromStart: it sent none) and
   * refuses a cursor below the purge horizon: the history after it is incomplete, so a page from there would
   * silently miss deletions. Call after reading the page.
   */
  async acknowledge(principal: Principal, cursor: string, fromStart: boolean): Promise<void> {
    const horizon = await this.positions.acknowledge(
      this.db,
      principal.tenantId,
      principal.userId,
      principal.deviceId,
      cursor,
      fromStart,
    );
    if (!fromStart && BigInt(cursor) < BigInt(horizon)) {
      throw new AppException(
        ErrorCode.ResyncRequired,
        'the history after this cursor was purged: run a replacement sync (GET /api/v1/sync/snapshot)',
        [{ field: 'cursor', message: `below the purge horizon ${horizon}` }],
      );
    }
  }

  /** The tenant's devices by user and id, with their last position and how far behind the feed they are. */
  async listDevices(principal: Principal, query: DevicePositionsQueryDto): Promise<DevicePositionPageDto> {
    const limit = query.limit ?? 100;
    const after = query.cursor ? DEVICE_CURSOR.decode(query.cursor) : null;
    const rows = await this.positions.listPositions(
      this.db,
      principal.tenantId,
      after ? { userId: Buffer.from(after[0], 'hex').toString('utf8'), deviceId: after[1] } : null,
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const horizon = await this.positions.horizon(this.db, principal.tenantId);
    const last = page[page.length - 1];
    return {
      devices: page.map((row) => DevicePositionDto.from(row, horizon)),
      purge_horizon: Number(horizon),
      next_cursor:
        rows.length > limit && last
          ? DEVICE_CURSOR.encode([Buffer.from(last.user_id, 'utf8').toString('hex'), last.device_id])
          : null,
    };
  }
}
