import pg from 'pg';

/**
 * node-postgres only listens for errors on idle connections. A connection the server terminates while checked out
 * between two statements (a transaction doing work in JavaScript) emits 'error' with no listener, which would crash
 * the process; its next statement fails anyway and the pool then discards it, so the event itself can be ignored.
 */
class ListeningPool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super(config);
    this.on('connect', (client) => client.on('error', () => undefined));
  }
}

export const pgDriver = { ...pg, Pool: ListeningPool };
