import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException } from '../../common/errors/app-exception';
import { CursorCodec } from '../../common/pagination/cursor';
import type { Queryable } from '../../database/sql';
import { announceChange } from '../live/change-signal';
import { DirectoryRepository, DirectoryUserRow } from './directory.repository';
import { ScopeIndexService } from './scope-index.service';
import { GROUP_PATTERN, Membership, ScopeUser, userKey, userKeys } from './scope.policy';
import { MAX_USER_KEYS, ROLES } from './sync-rules.policy';

/** A user id as credentials carry it: 1..128 characters, no whitespace. */
export const USER_ID = /^\S{1,128}$/;
const CURSOR = new CursorCodec('u:', [USER_ID]);
export const DEFAULT_PAGE = 50;

export interface UserChange {
  display_name?: string | null;
  memberships: Membership[];
  active?: boolean;
}

export interface UserPage {
  items: DirectoryUserRow[];
  next_cursor: string | null;
}

/** The user as scope keys see it; a user outside the directory is active with no memberships. */
export interface UserScope {
  user: ScopeUser;
  memberships: Membership[];
  keys: string[];
  inDirectory: boolean;
}

function maxSeq(a: string | undefined, b: string): string {
  return a !== undefined && BigInt(a) > BigInt(b) ? a : b;
}

function assertUserId(userId: string): void {
  if (!USER_ID.test(userId)) {
    throw AppException.validation('user_id must be 1..128 characters without whitespace', [
      { field: 'user_id', message: 'invalid user id' },
    ]);
  }
}

function scopeOf(userId: string, row: DirectoryUserRow | undefined): UserScope {
  const user = { user_id: userId, active: row?.active ?? true };
  const memberships = row?.memberships ?? [];
  return { user, memberships, keys: userKeys(user, memberships), inDirectory: row !== undefined };
}

/** The tenant's directory: users, memberships, and the scope keys they give. */
@Injectable()
export class DirectoryService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly directory: DirectoryRepository,
    private readonly scopes: ScopeIndexService,
  ) {}

  async getUser(tenantId: string, userId: string): Promise<DirectoryUserRow> {
    assertUserId(userId);
    const row = await this.directory.find(this.db, tenantId, userId);
    if (!row) throw AppException.notFound(`user ${userId}`);
    return row;
  }

  async listUsers(tenantId: string, query: { cursor?: string; limit?: number }): Promise<UserPage> {
    const after = query.cursor ? CURSOR.decode(query.cursor)[0] : null;
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await this.directory.list(this.db, tenantId, after, limit + 1);
    const items = rows.slice(0, limit);
    return { items, next_cursor: rows.length > limit ? CURSOR.encode([items[items.length - 1].user_id]) : null };
  }

  /** The keys a principal holds now (explain; push and pull once wired). */
  async scopeOf(db: Queryable, tenantId: string, userId: string): Promise<UserScope> {
    return scopeOf(userId, await this.directory.find(db, tenantId, userId));
  }

  /**
   * The principal's keys with the change_seq each was granted at ("0": held since before any cursor), one
   * statement. A pull whose cursor is older than a key's grant back-fills that key's records.
   */
  async grantsOf(db: Queryable, tenantId: string, userId: string): Promise<Map<string, string>> {
    const row = await this.directory.findGrants(db, tenantId, userId);
    const grants = new Map<string, string>();
    if (row && !row.active) return grants;
    grants.set(userKey(userId), row?.granted_seq ?? '0');
    for (const membership of row?.memberships ?? []) {
      for (const key of userKeys({ user_id: userId, active: true }, [membership])) {
        if (key !== userKey(userId)) grants.set(key, maxSeq(grants.get(key), membership.granted_seq));
      }
    }
    return grants;
  }

  /**
   * Creates or changes a user and replaces its memberships; in the same transaction the user's devices are sent a
   * removal of every record it could read only through a key it lost (all of them when deactivated), and the user's
   * live readers are woken (through its own key) to read those removals or back-fill the keys it gained.
   */
  async putUser(tenantId: string, userId: string, change: UserChange): Promise<DirectoryUserRow> {
    assertUserId(userId);
    change.memberships.forEach((membership, i) => {
      if (!GROUP_PATTERN.test(membership.group) || !ROLES.includes(membership.role)) {
        throw AppException.validation(`memberships[${i}] must be a group like site:58 with role member or supervisor`, [
          { field: `memberships[${i}]`, message: 'invalid group or role' },
        ]);
      }
    });
    const groups = change.memberships.map((membership) => membership.group);
    const repeated = groups.filter((group, i) => groups.indexOf(group) !== i);
    if (repeated.length > 0) {
      throw AppException.validation(`memberships name ${repeated[0]} more than once`, [
        { field: 'memberships', message: `group ${repeated[0]} appears more than once` },
      ]);
    }
    const keys = userKeys({ user_id: userId, active: true }, change.memberships);
    if (keys.length > MAX_USER_KEYS) {
      throw AppException.validation(`memberships give ${keys.length} scope keys; at most ${MAX_USER_KEYS}`, [
        { field: 'memberships', message: `at most ${MAX_USER_KEYS} scope keys (a supervisor membership gives two)` },
      ]);
    }
    return this.db.transaction(async (tx) => {
      await this.directory.lockUser(tx, tenantId, userId);
      const before = scopeOf(userId, await this.directory.find(tx, tenantId, userId));
      const grantSeq = await this.directory.takeGrantSeq(tx, tenantId);
      await this.directory.upsert(tx, tenantId, userId, change.display_name, change.active, grantSeq);
      await this.directory.replaceMemberships(tx, tenantId, userId, change.memberships, grantSeq);
      const row = (await this.directory.find(tx, tenantId, userId))!;
      await this.scopes.revokeUserKeys(tx, tenantId, userId, before.keys, scopeOf(userId, row).keys);
      await announceChange(tx, { tenantId, changeSeq: grantSeq, keys: [userKey(userId)] });
      return row;
    });
  }
}
