import { Injectable } from '@nestjs/common';
import { NEXT_CHANGE_SEQ, enterFeed } from '../../database/feed-lock';
import { Queryable, sql, sqlOne } from '../../database/sql';
import type { Membership } from './scope.policy';

export interface DirectoryUserRow {
  user_id: string;
  display_name: string | null;
  active: boolean;
  updated_at: Date;
  /** Sorted by group. */
  memberships: Membership[];
}

export interface UserMembershipRow extends Membership {
  user_id: string;
}

/** When the user and each of its memberships were last granted (change_seq), for pull back-fills. */
export interface UserGrantsRow {
  active: boolean;
  granted_seq: string;
  memberships: Array<Membership & { granted_seq: string }>;
}

const USER = `u.user_id, u.display_name, u.active, u.updated_at,
  COALESCE((SELECT jsonb_agg(jsonb_build_object('group', m.group_name, 'role', m.role) ORDER BY m.group_name)
            FROM directory_membership m WHERE m.tenant_id = u.tenant_id AND m.user_id = u.user_id), '[]') AS memberships`;

/** directory_user with its directory_membership rows: one aggregate, the user and its groups. */
@Injectable()
export class DirectoryRepository {
  /** Serialises changes of one user (the row may not exist yet) until the transaction ends. */
  async lockUser(db: Queryable, tenantId: string, userId: string): Promise<void> {
    await sql(db, `SELECT pg_advisory_xact_lock(hashtextextended('directory:' || $1 || ':' || $2, 0))`, [
      tenantId,
      userId,
    ]);
  }

  /**
   * A change_seq for grants made in this transaction, taken as a writer of the tenant's feed (enterFeed), so a
   * pull can never pass it before the grant is visible.
   */
  async takeGrantSeq(db: Queryable, tenantId: string): Promise<string> {
    await enterFeed(db, tenantId);
    const row = await sqlOne<{ seq: string }>(db, `SELECT ${NEXT_CHANGE_SEQ}::text AS seq`);
    return row!.seq;
  }

  async findGrants(db: Queryable, tenantId: string, userId: string): Promise<UserGrantsRow | undefined> {
    return sqlOne<UserGrantsRow>(
      db,
      `SELECT u.active, u.granted_seq::text AS granted_seq,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('group', m.group_name, 'role', m.role,
                                                       'granted_seq', m.granted_seq::text) ORDER BY m.group_name)
                   FROM directory_membership m WHERE m.tenant_id = u.tenant_id AND m.user_id = u.user_id), '[]')
           AS memberships
       FROM directory_user u WHERE u.tenant_id = $1 AND u.user_id = $2`,
      [tenantId, userId],
    );
  }

  async find(db: Queryable, tenantId: string, userId: string): Promise<DirectoryUserRow | undefined> {
    return sqlOne<DirectoryUserRow>(
      db,
      `SELECT ${USER} FROM directory_user u WHERE u.tenant_id = $1 AND u.user_id = $2`,
      [tenantId, userId],
    );
  }

  /** One keyset page in user_id order, strictly after `afterUserId`. */
  async list(db: Queryable, tenantId: string, afterUserId: string | null, limit: number): Promise<DirectoryUserRow[]> {
    return sql<DirectoryUserRow>(
      db,
      `SELECT ${USER} FROM directory_user u
       WHERE u.tenant_id = $1 AND ($2::text IS NULL OR u.user_id > $2)
       ORDER BY u.user_id LIMIT $3`,
      [tenantId, afterUserId, limit],
    );
  }

  /**
   * Creates or changes the user; an undefined field keeps its value (a new user: no name, active). A reactivation
   * records `grantSeq` (a user new to the directory already held its own key).
   */
  async upsert(
    db: Queryable,
    tenantId: string,
    userId: string,
    displayName: string | null | undefined,
    active: boolean | undefined,
    grantSeq: string,
  ): Promise<void> {
    await sql(
      db,
      `INSERT INTO directory_user AS u (tenant_id, user_id, display_name, active, updated_at, granted_seq)
       VALUES ($1, $2, $4, COALESCE($5, true), now(), 0)
       ON CONFLICT ON CONSTRAINT pk_directory_user DO UPDATE SET
         display_name = CASE WHEN $3::boolean THEN EXCLUDED.display_name ELSE u.display_name END,
         granted_seq = CASE WHEN NOT u.active AND COALESCE($5, u.active) THEN $6::bigint ELSE u.granted_seq END,
         active = COALESCE($5, u.active), updated_at = now()`,
      [tenantId, userId, displayName !== undefined, displayName ?? null, active ?? null, grantSeq],
    );
  }

  /** Makes the user's memberships exactly these, in one statement; a new group or role is granted at `grantSeq`. */
  async replaceMemberships(
    db: Queryable,
    tenantId: string,
    userId: string,
    memberships: Membership[],
    grantSeq: string,
  ): Promise<void> {
    await sql(
      db,
      `WITH wanted AS (SELECT * FROM unnest($3::text[], $4::text[]) AS w(group_name, role)),
       dropped AS (
         DELETE FROM directory_membership m
         WHERE m.tenant_id = $1 AND m.user_id = $2
           AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.group_name = m.group_name))
       INSERT INTO directory_membership AS m (tenant_id, user_id, group_name, role, granted_seq)
       SELECT $1, $2, w.group_name, w.role, $5::bigint FROM wanted w
       ON CONFLICT ON CONSTRAINT pk_directory_membership DO UPDATE SET role = EXCLUDED.role,
         granted_seq = CASE WHEN m.role = EXCLUDED.role THEN m.granted_seq ELSE EXCLUDED.granted_seq END`,
      [tenantId, userId, memberships.map((m) => m.group), memberships.map((m) => m.role), grantSeq],
    );
  }

  /** Memberships of the active users among these (inactive and unknown users have none). */
  async activeMemberships(db: Queryable, tenantId: string, userIds: string[]): Promise<UserMembershipRow[]> {
    if (userIds.length === 0) return [];
    return sql<UserMembershipRow>(
      db,
      `SELECT m.user_id, m.group_name AS "group", m.role
       FROM directory_membership m
       JOIN directory_user u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id AND u.active
       WHERE m.tenant_id = $1 AND m.user_id = ANY($2::text[])
       ORDER BY m.user_id, m.group_name`,
      [tenantId, userIds],
    );
  }
}
