import type { Domain } from '../../common/domain';
import { escapePointer } from '../record-shape/upcast.policy';
import { authorizeWrite, canRead, RecordData } from '../scope/scope.policy';
import type { SyncRules } from '../scope/sync-rules.policy';
import { recordKey } from '../sync/sync-record-store.service';
import type { GuardVerdict, PlannedItem, WriteGuard } from './queue.policy';

/** Who an item acts for: its scope keys, or unrestricted (an admin, or an item queued without a user). */
export interface ItemPrincipal {
  keys: readonly string[];
  admin: boolean;
}

export interface GuardContext {
  rules: SyncRules;
  principalOf(item: PlannedItem): ItemPrincipal;
  /** What record_scope holds for the record now (its keys and creator), when it holds anything. */
  stored(domain: string, mobileId: string): { keys: readonly string[]; createdBy: string | null } | undefined;
  /** The keys a version would hold (pure: the owners' memberships were read up front). */
  keysOf(domain: Domain, data: RecordData, creator: string | null): string[];
}

/**
 * The write authorization of a batch as a planner guard. The pre-image keys are the stored ones (what the caller's
 * devices were sent), computed from the current copy for a record the index does not hold yet; an allowed write's
 * keys become the pre-image of the next item of the same record. A tombstone keeps the keys of what it deletes.
 */
export function scopeGuard(context: GuardContext): WriteGuard {
  const written = new Map<string, { version: number; keys: readonly string[] }>();
  /** Creators of records this batch creates. */
  const created = new Map<string, string | null>();
  const creatorOf = (item: PlannedItem, exists: boolean): string | null => {
    const stored = context.stored(item.domain, item.mobile_id)?.createdBy;
    if (stored) return stored;
    const key = recordKey(item.domain, item.mobile_id);
    return created.has(key) ? created.get(key)! : exists ? null : item.user_id;
  };
  const keysBefore = (item: PlannedItem, before: { version: number; data: RecordData }): readonly string[] => {
    const own = written.get(recordKey(item.domain, item.mobile_id));
    if (own && own.version === before.version) return own.keys;
    const stored = context.stored(item.domain, item.mobile_id);
    if (stored && stored.keys.length > 0) return stored.keys;
    return context.keysOf(item.domain as Domain, before.data, creatorOf(item, true));
  };
  return (item, before, after): GuardVerdict => {
    const principal = context.principalOf(item);
    const beforeKeys = before === null ? null : keysBefore(item, before);
    const readable = principal.admin || (beforeKeys !== null && canRead(principal.keys, beforeKeys));
    if (after === null) {
      if (readable) return { allowed: true };
      return {
        allowed: false,
        readable,
        error: { code: 'RECORD_FORBIDDEN', message: 'the record is not in your sync scope' },
      };
    }
    const afterKeys =
      after.deleted && beforeKeys !== null && beforeKeys.length > 0
        ? beforeKeys
        : context.keysOf(item.domain as Domain, after.data, creatorOf(item, before !== null));
    const verdict = authorizeWrite({
      rules: context.rules,
      domain: item.domain as Domain,
      principal,
      before: before === null ? null : { data: before.data, keys: beforeKeys! },
      // A deletion changes no field: only its visibility is checked.
      after: { data: after.deleted && before !== null ? before.data : after.data, keys: afterKeys },
    });
    if (verdict.allowed) {
      const key = recordKey(item.domain, item.mobile_id);
      if (before === null && !created.has(key)) created.set(key, item.user_id);
      written.set(key, { version: after.version, keys: afterKeys });
      return verdict;
    }
    return {
      allowed: false,
      readable,
      error: {
        code: verdict.code,
        message: verdict.message,
        ...(verdict.code === 'FIELD_FORBIDDEN'
          ? {
              details: verdict.fields.map((field) => ({
                pointer: `/data/${escapePointer(field)}`,
                message: "only a supervisor of the record's groups may change it",
                field,
              })),
            }
          : {}),
      },
    };
  };
}
