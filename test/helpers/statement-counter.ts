import type { DataSource, Logger } from 'typeorm';

/** Counts the SQL statements a DataSource runs until stop() (through its logger, so every query runner counts). */
export function countStatements(db: DataSource): { count(): number; stop(): void } {
  const original = db.logger;
  let statements = 0;
  const counting: Logger = {
    logQuery: () => {
      statements += 1;
    },
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  Object.assign(db, { logger: counting });
  return { count: () => statements, stop: () => Object.assign(db, { logger: original }) };
}
