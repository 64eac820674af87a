import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Queryable } from '../../database/sql';
import { SyncRecordStore } from '../sync/sync-record-store.service';
import { AttendanceCopy, findOverlaps, personOf, punchInDays, punchInterval } from './attendance-overlap.policy';
import { checkRecordTransition, InvariantName } from './invariant.policy';
import { RecordShapeCatalog } from './record-shape.catalog';
import {
  DowncastInput,
  DowncastOutcome,
  downcastItem,
  ShapeInput,
  ShapeOutcome,
  shapeItem,
} from './record-shape.policy';
import { SchemaValidatorCache } from './schema-validator';
import type { TransitionVerdict } from './transition.policy';
import type { LossyStep, RecordData } from './upcast.policy';

/** A record the push path is about to write: the server's current copy and the client's (already shaped) copy. */
export interface InvariantInput {
  key: string;
  domain: string;
  mobile_id: string;
  server: RecordData | null;
  client: RecordData;
  deleted?: boolean;
}

export type InvariantViolation =
  | Extract<TransitionVerdict, { ok: false }>
  | {
      ok: false;
      reason: 'ATTENDANCE_OVERLAP';
      domain: 'attendance';
      /** The same person's other attendance records whose punch intervals overlap this one. */
      overlaps: string[];
      message: string;
    };

export type InvariantOutcome = { key: string; ok: true } | ({ key: string } & InvariantViolation);

/**
 * What the push path calls per batch, each a fixed number of statements whatever the batch size:
 * prepareBatch (shape and validate, before the conflict engine) and checkInvariants (before writing), and
 * downcastBatch for pulls that ask for an older version.
 */
@Injectable()
export class RecordShapeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: RecordShapeCatalog,
    private readonly validators: SchemaValidatorCache,
    private readonly records: SyncRecordStore,
  ) {}

  /** Upcasts, completes from the server copy and validates each item; per item either its data or a rejection. */
  async prepareBatch(tenantId: string, items: readonly ShapeInput[], db: Queryable = this.db): Promise<ShapeOutcome[]> {
    const shapes = await this.catalog.forTenant(tenantId, db);
    return items.map((item) => {
      const domain = shapes.domains.get(item.domain);
      const key = domain && SchemaValidatorCache.key(tenantId, item.domain, domain.current.version);
      return shapeItem(domain, item, (data) => this.validators.validate(key!, domain!.current.json_schema, data));
    });
  }

  /** Stored records in the shape of the versions the devices asked for. */
  async downcastBatch(
    tenantId: string,
    items: readonly DowncastInput[],
    db: Queryable = this.db,
  ): Promise<DowncastOutcome[]> {
    const shapes = await this.catalog.forTenant(tenantId, db);
    return items.map((item) => downcastItem(shapes.domains.get(item.domain), item));
  }

  /**
   * Stored records for a pull that asked for older versions (`asked(domain)`; undefined: as stored). Per key the
   * data in the shape sent, the version it is in and what could not be undone; a domain without schemas is left
   * out (its records go as stored), as is a version the domain does not have (they go in the current shape, which
   * `schema_version` then says). One catalog read (cached) for the page.
   */
  async downcastRecords(
    tenantId: string,
    records: ReadonlyArray<{ key: string; domain: string; data: RecordData }>,
    asked: (domain: string) => number | undefined,
    db: Queryable = this.db,
  ): Promise<Map<string, { data: RecordData; schema_version: number; lossy: LossyStep[] }>> {
    const shapes = await this.catalog.forTenant(tenantId, db);
    const out = new Map<string, { data: RecordData; schema_version: number; lossy: LossyStep[] }>();
    for (const record of records) {
      const domain = shapes.domains.get(record.domain);
      const version = asked(record.domain);
      if (!domain || version === undefined) continue;
      const outcome = downcastItem(domain, { ...record, schema_version: version });
      out.set(
        record.key,
        outcome.ok
          ? { data: outcome.data, schema_version: version, lossy: outcome.lossy }
          : { data: record.data, schema_version: domain.current.version, lossy: [] },
      );
    }
    return out;
  }

  /**
   * The tenant's switched-on invariants for each pair: status transitions (pure) and, for attendance, overlaps
   * with the same person's other records (one read of sync_record for the whole batch). Deletions pass.
   */
  async checkInvariants(
    tenantId: string,
    pairs: readonly InvariantInput[],
    db: Queryable = this.db,
  ): Promise<InvariantOutcome[]> {
    const shapes = await this.catalog.forTenant(tenantId, db);
    const enabled = (name: InvariantName): boolean => !shapes.disabled.has(name);
    const overlaps = enabled('attendance_overlap')
      ? await this.attendanceOverlaps(tenantId, pairs, db)
      : new Map<string, string[]>();
    return pairs.map((pair): InvariantOutcome => {
      if (pair.deleted) return { key: pair.key, ok: true };
      const transition = checkRecordTransition(pair.domain, pair.server, pair.client, enabled);
      if (!transition.ok) return { key: pair.key, ...transition };
      const others = pair.domain === 'attendance' ? overlaps.get(pair.mobile_id) : undefined;
      if (others) {
        return {
          key: pair.key,
          ok: false,
          reason: 'ATTENDANCE_OVERLAP',
          domain: 'attendance',
          overlaps: others,
          message: `punch interval overlaps ${others.length} other attendance record(s) of person ${personOf(pair.client)}`,
        };
      }
      return { key: pair.key, ok: true };
    });
  }

  private async attendanceOverlaps(
    tenantId: string,
    pairs: readonly InvariantInput[],
    db: Queryable,
  ): Promise<Map<string, string[]>> {
    const candidates: AttendanceCopy[] = pairs
      .filter((pair) => pair.domain === 'attendance' && !pair.deleted)
      .map((pair) => ({ mobile_id: pair.mobile_id, data: pair.client }));
    const windows = candidates.flatMap((candidate) => {
      const people = personOf(candidate.data);
      const interval = punchInterval(candidate.data);
      return people === null || interval === null ? [] : [{ people, ...punchInDays(interval) }];
    });
    const exclude = pairs.filter((pair) => pair.domain === 'attendance').map((pair) => pair.mobile_id);
    const stored = await this.records.attendancePunches(db, tenantId, windows, exclude);
    return findOverlaps(candidates, stored);
  }
}
