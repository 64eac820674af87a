import { Injectable } from '@nestjs/common';
import type { Queryable } from '../../database/sql';
import type { InvariantBreach, InvariantCheck, ItemError, PlannedItem } from '../queue/queue.policy';
import { recordKey, RecordRow, SyncRecordStore } from '../sync/sync-record-store.service';
import { AttendanceCopy, findOverlaps, personOf, punchInDays, punchInterval } from './attendance-overlap.policy';
import { checkRecordTransition, InvariantName, invariantOfTransition } from './invariant.policy';
import { RecordShapeCatalog, TenantShapes } from './record-shape.catalog';
import { shapeItem } from './record-shape.policy';
import { SchemaValidatorCache } from './schema-validator';
import type { RecordData } from './upcast.policy';

/** A batch as the planner gets it: items in the current shape, the rejected ones apart, and the invariants. */
export interface PreparedBatch {
  /** The items that passed their schema, their payload upcast to the current version. */
  items: PlannedItem[];
  /** SCHEMA_INVALID / SCHEMA_VERSION_UNKNOWN per rejected item id, with pointers into the push item. */
  rejected: Map<string, ItemError>;
  /** How many items were upcast from an older version. */
  upcast: number;
  /** The tenant's switched-on invariants, for the planner's tenantContext. */
  invariant: InvariantCheck;
}

/**
 * The push path's record shapes and domain invariants, per batch: the tenant's schemas and switches come from the
 * catalog (cached, at most one statement), the attendance invariant reads the people's stored punches in one
 * statement, everything else is in memory.
 */
@Injectable()
export class ItemShapeService {
  constructor(
    private readonly catalog: RecordShapeCatalog,
    private readonly validators: SchemaValidatorCache,
    private readonly records: SyncRecordStore,
  ) {}

  /** `current`: the batch's records as stored, read under their locks (the copy fields unknown to old phones come from). */
  async prepare(
    db: Queryable,
    tenantId: string,
    items: readonly PlannedItem[],
    current: readonly RecordRow[],
  ): Promise<PreparedBatch> {
    const shapes = await this.catalog.forTenant(tenantId, db);
    const stored = new Map(current.map((row) => [recordKey(row.domain, row.mobile_id), row]));
    const accepted: PlannedItem[] = [];
    const rejected = new Map<string, ItemError>();
    let upcast = 0;
    for (const item of items) {
      const domain = shapes.domains.get(item.domain);
      if (!domain) {
        accepted.push(item);
        continue;
      }
      const server = stored.get(recordKey(item.domain, item.mobile_id));
      const key = SchemaValidatorCache.key(tenantId, item.domain, domain.current.version);
      const outcome = shapeItem(
        domain,
        {
          key: item.id,
          domain: item.domain,
          schema_version: item.schema_version,
          data: item.payload,
          deleted: item.deleted,
          server: server && !server.deleted ? server.data : null,
        },
        (data) => this.validators.validate(key, domain.current.json_schema, data),
      );
      if (!outcome.ok) {
        rejected.set(item.id, outcome.error);
        continue;
      }
      if (outcome.upcast_from !== null) upcast += 1;
      accepted.push(outcome.data === item.payload ? item : { ...item, payload: outcome.data });
    }
    const invariant = await this.invariantCheck(db, tenantId, shapes, accepted, current);
    return { items: accepted, rejected, upcast, invariant };
  }

  private async invariantCheck(
    db: Queryable,
    tenantId: string,
    shapes: TenantShapes,
    items: readonly PlannedItem[],
    current: readonly RecordRow[],
  ): Promise<InvariantCheck> {
    const enabled = (name: InvariantName): boolean => !shapes.disabled.has(name);
    const overlaps = enabled('attendance_overlap') ? await this.overlapCheck(db, tenantId, items, current) : null;
    return (item, before, after) => {
      if (after.deleted) {
        if (item.domain === 'attendance') overlaps?.written(item.mobile_id, null);
        return null;
      }
      const transition = checkRecordTransition(item.domain, before, after.data, enabled);
      if (!transition.ok) {
        const { ok: _ok, reason, field, message, ...rule } = transition;
        return { reason, invariant: invariantOfTransition(transition), field, rule, message };
      }
      if (item.domain !== 'attendance' || overlaps === null) return null;
      const breach = overlaps.check(item.mobile_id, after.data);
      if (breach === null) overlaps.written(item.mobile_id, after.data);
      return breach;
    };
  }

  /**
   * The attendance invariant of a batch, item by item: one read of the stored punches of the batch's people (other
   * records than the batch's own), then each punch is checked against those, the batch's records as they stand
   * before the batch, and the punches the batch already accepted (so the second of two overlapping punches goes to
   * review, not both).
   */
  private async overlapCheck(
    db: Queryable,
    tenantId: string,
    items: readonly PlannedItem[],
    current: readonly RecordRow[],
  ): Promise<{
    check(mobileId: string, data: RecordData): InvariantBreach | null;
    written(mobileId: string, data: RecordData | null): void;
  } | null> {
    const punches = items.filter((item) => item.domain === 'attendance' && !item.deleted);
    if (punches.length === 0) return null;
    const windows = punches.flatMap((item) => {
      const people = personOf(item.payload);
      const interval = punchInterval(item.payload);
      return people === null || interval === null ? [] : [{ people, ...punchInDays(interval) }];
    });
    const others = await this.records.attendancePunches(db, tenantId, windows, [
      ...new Set(items.filter((item) => item.domain === 'attendance').map((item) => item.mobile_id)),
    ]);
    const live = new Map<string, RecordData>();
    for (const row of current) if (row.domain === 'attendance' && !row.deleted) live.set(row.mobile_id, row.data);
    const byPerson = new Map<string, AttendanceCopy[]>();
    for (const row of others) {
      const person = personOf(row.data);
      if (person !== null) byPerson.set(person, [...(byPerson.get(person) ?? []), row]);
    }
    return {
      check(mobileId, data) {
        const person = personOf(data);
        if (person === null) return null;
        const batch = [...live]
          .filter(([id, copy]) => id !== mobileId && personOf(copy) === person)
          .map(([id, copy]) => ({ mobile_id: id, data: copy }));
        const found = findOverlaps([{ mobile_id: mobileId, data }], [...(byPerson.get(person) ?? []), ...batch]).get(
          mobileId,
        );
        if (!found) return null;
        return {
          reason: 'ATTENDANCE_OVERLAP',
          invariant: 'attendance_overlap',
          field: 'punchintime',
          rule: { people: person, overlaps: found },
          message: `punch interval overlaps ${found.length} other attendance record(s) of person ${person}`,
        };
      },
      written(mobileId, data) {
        if (data === null) live.delete(mobileId);
        else live.set(mobileId, data);
      },
    };
  }
}
