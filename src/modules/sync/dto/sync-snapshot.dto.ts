import { ApiProperty, PickType } from '@nestjs/swagger';
import type { DevicePositionRow } from '../sync-device-cursor.repository';
import { BEHIND_COUNT_CAP } from '../sync-device-cursor.repository';
import { ChangeDto, PullQueryDto } from './sync.dto';

/** Same fields and rules as a pull: the feed that follows a snapshot takes the same domains. */
export class SnapshotQueryDto extends PickType(PullQueryDto, ['cursor', 'limit', 'domains'] as const) {}

export class SnapshotPageDto {
  /** Current records (never tombstones): open work first, newest first, then history. */
  changes!: ChangeDto[];
  /** The next snapshot page; on the last page (has_more false), a pull cursor that continues the feed. */
  next_cursor!: string;
  has_more!: boolean;
  /** Records in the snapshot when it started (records changed meanwhile come through the feed instead). */
  @ApiProperty({ type: 'integer' })
  estimated_total!: number;
  /** The feed position the snapshot stands on: the feed continues after it. */
  @ApiProperty({ type: 'integer' })
  snapshot_seq!: number;
}

export class DevicePositionsQueryDto extends PickType(PullQueryDto, ['cursor', 'limit'] as const) {}

export class DevicePositionDto {
  user_id!: string | null;
  device_id!: string;
  /** change_seq of the last position the device acknowledged (the cursor of its last pull). */
  @ApiProperty({ type: 'integer' })
  position!: number;
  last_seen_at!: string;
  /** Changes of the tenant's feed after that position (counted up to behind_by_capped). */
  @ApiProperty({ type: 'integer' })
  behind_by!: number;
  /** True when behind_by stopped at its cap (100000). */
  behind_by_capped!: boolean;
  /** The position lies below the purge horizon: its next pull is a 410 RESYNC_REQUIRED. */
  resync_required!: boolean;

  static from(row: DevicePositionRow, horizon: string): DevicePositionDto {
    const behind = Number(row.behind);
    return {
      user_id: row.user_id === '' ? null : row.user_id,
      device_id: row.device_id,
      position: Number(row.cursor),
      last_seen_at: row.seen_at.toISOString(),
      behind_by: behind,
      behind_by_capped: behind >= BEHIND_COUNT_CAP,
      resync_required: BigInt(row.cursor) < BigInt(horizon),
    };
  }
}

export class DevicePositionPageDto {
  devices!: DevicePositionDto[];
  /** Below this change_seq the feed's history is purged (0: nothing purged yet). */
  purge_horizon!: number;
  next_cursor!: string | null;
}
