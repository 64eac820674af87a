import { DataSource, EntityManager } from 'typeorm';

export type Queryable = DataSource | EntityManager;

/**
 * Runs one SQL statement and returns its rows, whatever the command (TypeORM's plain query() returns
 * [rows, count] for UPDATE and DELETE). Inside a transaction pass its EntityManager.
 */
export async function sql<T>(target: Queryable, text: string, params: unknown[] = []): Promise<T[]> {
  const manager = target instanceof DataSource ? target.manager : target;
  const ownRunner = manager.queryRunner === undefined;
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(text, params, true);
    return result.records as T[];
  } finally {
    if (ownRunner) await runner.release();
  }
}

/** The first row, or undefined. */
export async function sqlOne<T>(target: Queryable, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await sql<T>(target, text, params))[0];
}
