import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';

interface PgLikeResult {
  rows: unknown[];
  rowCount: number;
  command: string;
}

type QueryCallback = (error: Error | null, result?: PgLikeResult) => void;
type ConnectCallback = (error: Error | null, client?: PGliteClient, release?: (error?: Error) => void) => void;

/** Parse like node-postgres does, so both backends hand the same values to the code. */
const PARSERS = {
  [types.INT8]: (value: string) => value,
  [types.NUMERIC]: (value: string) => value,
};

const SERIALIZERS = {
  [types.BOOL]: (value: unknown) =>
    value === true || value === 'true' ? 'TRUE' : value === false || value === 'false' ? 'FALSE' : String(value),
};

function commandOf(sql: string): string {
  const match = /^\s*(?:with\b[\s\S]*?\)\s*)?(insert|update|delete|select|merge)\b/i.exec(sql);
  return match ? match[1].toUpperCase() : 'SELECT';
}

class PGliteClient extends EventEmitter {
  constructor(private readonly db: Promise<PGlite>) {
    super();
  }

  query(sql: string, params?: unknown[] | QueryCallback, callback?: QueryCallback): Promise<PgLikeResult> {
    const cb = typeof params === 'function' ? params : callback;
    const values = typeof params === 'function' ? undefined : params;
    const run = async (): Promise<PgLikeResult> => {
      const db = await this.db;
      if (values && values.length > 0) {
        const result = await db.query(sql, values);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length, command: commandOf(sql) };
      }
      const results = await db.exec(sql);
      const last = results[results.length - 1];
      return {
        rows: last?.rows ?? [],
        rowCount: last?.affectedRows ?? last?.rows.length ?? 0,
        command: commandOf(sql),
      };
    };
    const promise = run();
    if (cb)
      promise.then(
        (result) => cb(null, result),
        (error: Error) => cb(error),
      );
    return promise;
  }
}

/**
 * A node-postgres compatible pool over one embedded PGlite database. PGlite has a single session, so the pool hands
 * out its one connection to one holder at a time: a transaction is never interleaved with another caller's queries.
 */
export class PGlitePool extends EventEmitter {
  private static dataDir: string | undefined;
  private readonly db: Promise<PGlite>;
  private readonly client: PGliteClient;
  private holder: Promise<void> = Promise.resolve();

  /** Sets where the next pool stores its data; undefined keeps it in memory. */
  static configure(dataDir: string | undefined): void {
    PGlitePool.dataDir = dataDir;
  }

  constructor() {
    super();
    const dataDir = PGlitePool.dataDir;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    this.db = PGlite.create({ dataDir, parsers: PARSERS, serializers: SERIALIZERS });
    this.db.catch((error: Error) => this.emit('error', error));
    this.client = new PGliteClient(this.db);
  }

  connect(callback: ConnectCallback): void {
    const previous = this.holder;
    let free!: () => void;
    this.holder = new Promise<void>((resolve) => (free = resolve));
    previous
      .then(() => this.db)
      .then(
        () => {
          let released = false;
          callback(null, this.client, () => {
            if (released) return;
            released = true;
            this.client.removeAllListeners();
            free();
          });
        },
        (error: Error) => {
          free();
          callback(error);
        },
      );
  }

  query(sql: string, params?: unknown[]): Promise<PgLikeResult> {
    return new Promise((resolve, reject) =>
      this.connect((error, client, release) => {
        if (error || !client || !release) return reject(error ?? new Error('no connection'));
        client.query(sql, params).then(
          (result) => {
            release();
            resolve(result);
          },
          (queryError: Error) => {
            release();
            reject(queryError);
          },
        );
      }),
    );
  }

  /** LISTENs on the one session: PGlite calls back with each payload when the notifying transaction commits. */
  listen(channel: string, callback: (payload: string) => void): Promise<void> {
    return new Promise((resolve, reject) =>
      this.connect((error, _client, release) => {
        if (error || !release) return reject(error ?? new Error('no connection'));
        this.db
          .then((db) => db.listen(channel, callback))
          .then(
            () => {
              release();
              resolve();
            },
            (listenError: Error) => {
              release();
              reject(listenError);
            },
          );
      }),
    );
  }

  end(callback?: (error: Error | null) => void): Promise<void> {
    const closing = this.holder.then(() => this.db).then((db) => db.close());
    if (callback)
      closing.then(
        () => callback(null),
        (error: Error) => callback(error),
      );
    return closing;
  }
}
