import { Queryable, sql, sqlOne } from './sql';
import { createRangePartition, DROP_LOCK_TIMEOUT, PartitionedTable } from './time-partitions';

/**
 * Range partitions of a table partitioned by a change_seq column (the feed's position, taken from sync_change_seq),
 * in fixed blocks: `<table>_s<first seq, 19 digits>` covers [first, first + size), plus `<table>_default` as a safety
 * net for rows outside every block (the sequence ran past the blocks created ahead). The bounds of each partition are
 * read from the catalog, so a changed block size only shapes the blocks created from then on. Plain SQL that
 * PostgreSQL and the embedded database (PGlite) both run.
 */
/** scope_change: partitioned by range on change_seq in blocks (migration PartitionScopeChange). */
export const SCOPE_CHANGE_PARTITIONS: PartitionedTable = { table: 'scope_change', column: 'change_seq' };

export interface SeqBlock {
  name: string;
  /** First change_seq of the block (inclusive). */
  from: bigint;
  /** First change_seq after the block (exclusive). */
  to: bigint;
}

export function blockName(table: string, from: bigint): string {
  return `${table}_s${from.toString().padStart(19, '0')}`;
}

/** The block partitions of a table, lowest first (default partition excluded), with their bounds from the catalog. */
export async function listBlocks(db: Queryable, target: PartitionedTable): Promise<SeqBlock[]> {
  const rows = await sql<{ name: string; bound: string }>(
    db,
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass($1)`,
    [target.table],
  );
  return rows
    .flatMap((row) => {
      const match = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(row.bound);
      return match ? [{ name: row.name, from: BigInt(match[1]), to: BigInt(match[2]) }] : [];
    })
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/** The position the feed's sequence has reached (0 before its first nextval). */
export async function sequencePosition(db: Queryable): Promise<bigint> {
  const row = await sqlOne<{ seq: string }>(
    db,
    `SELECT (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)::text AS seq FROM sync_change_seq`,
  );
  return BigInt(row?.seq ?? '0');
}

export interface EnsuredBlocks {
  created: string[];
  /** Rows left in the default partition after the run (outside every block: an alert when not 0). */
  strays: number;
}

/**
 * Keeps `ahead` empty blocks of `size` above the block the sequence is in: blocks are added on top of the highest
 * one (aligned to `size` when there is none), each created by createRangePartition, which moves rows that landed in
 * the default partition meanwhile (the sequence outran the blocks) into it. Returns the names created and how many
 * rows the default partition still holds. Run it in a transaction (SET LOCAL lock_timeout).
 */
export async function ensureBlocks(
  db: Queryable,
  target: PartitionedTable,
  size: number,
  ahead: number,
): Promise<EnsuredBlocks> {
  const step = BigInt(size);
  // Creating a partition takes the parent's lock: give up after a moment rather than queue writers behind a reader.
  await sql(db, `SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
  const position = await sequencePosition(db);
  const blocks = await listBlocks(db, target);
  const current = (position / step) * step;
  let top = blocks.length > 0 ? blocks[blocks.length - 1].to : current;
  if (top < current) top = current;
  // Rows below `top` with no block (the sequence outran the blocks for a while): blocks for them, at the gap.
  const created: string[] = [];
  const fallback = `${target.table}_default`;
  const gaps = await sql<{ first: string }>(
    db,
    `SELECT DISTINCT (${target.column} / $1::bigint * $1::bigint)::text AS first FROM ${fallback}
      WHERE ${target.column} < $2::bigint ORDER BY 1`,
    [step.toString(), top.toString()],
  );
  for (const gap of gaps) {
    const from = BigInt(gap.first);
    const overlaps = from + step > top || blocks.some((b) => b.from < from + step && from < b.to);
    if (
      !overlaps &&
      (await createRangePartition(db, target, blockName(target.table, from), `${from}`, `${from + step}`))
    ) {
      created.push(blockName(target.table, from));
    }
  }
  const goal = current + step * BigInt(ahead + 1);
  for (let from = top; from < goal; from += step) {
    if (await createRangePartition(db, target, blockName(target.table, from), `${from}`, `${from + step}`)) {
      created.push(blockName(target.table, from));
    }
  }
  const left = await sqlOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM ${fallback}`);
  return { created, strays: left?.n ?? 0 };
}

/**
 * The lowest change_seq a writer still in flight may take, over every tenant of this database: one above the lowest
 * seq mark held (see enterFeed in feed-lock.ts); null when no writer is in flight.
 */
export async function lowestSeqInFlight(db: Queryable): Promise<bigint | null> {
  const row = await sqlOne<{ low: string | null }>(
    db,
    `SELECT (min(m.classid::bigint * 4294967296 + m.objid::bigint) + 1)::text AS low
       FROM pg_locks m
      WHERE m.locktype = 'advisory' AND m.objsubid = 2 AND m.granted
        AND m.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return row?.low ? BigInt(row.low) : null;
}
