/** The server's copy of a record at the version the device last took from it. */
export interface ServerCopy {
  domain: string;
  version: number;
  deleted: boolean;
  data: Record<string, unknown> | null;
}

/**
 * Server copies by mobile_id. Delta pulls patch these (never the local record, which may hold unpushed edits), and
 * their versions are the `known_versions` of a pull.
 */
export interface ShadowStore {
  get(ids: readonly string[]): Promise<Map<string, ServerCopy>>;
  knownVersions(limit: number): Promise<Record<string, number>>;
  set(copies: ReadonlyMap<string, ServerCopy>): Promise<void>;
  delete(ids: readonly string[]): Promise<void>;
}

/** Key-value persistence the adapters already have (WatermelonDB `database.localStorage`, RxDB local documents). */
export interface KeyValueStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** A shadow store kept as one JSON value under `key` (all copies in memory while the app runs). */
export function keyValueShadowStore(storage: KeyValueStorage, key: string): ShadowStore {
  let loaded: Map<string, ServerCopy> | null = null;
  const load = async (): Promise<Map<string, ServerCopy>> => {
    if (!loaded) {
      const stored = (await storage.get(key)) as Record<string, ServerCopy> | undefined | null;
      loaded = new Map(Object.entries(stored ?? {}));
    }
    return loaded;
  };
  const save = (copies: Map<string, ServerCopy>): Promise<void> => storage.set(key, Object.fromEntries(copies));
  return {
    async get(ids) {
      const copies = await load();
      const found = new Map<string, ServerCopy>();
      for (const id of ids) {
        const copy = copies.get(id);
        if (copy) found.set(id, copy);
      }
      return found;
    },
    async knownVersions(limit) {
      const known: Record<string, number> = {};
      let count = 0;
      for (const [id, copy] of await load()) {
        if (count++ >= limit) break;
        if (!copy.deleted && copy.version >= 1) known[id] = copy.version;
      }
      return known;
    },
    async set(updates) {
      const copies = await load();
      for (const [id, copy] of updates) copies.set(id, copy);
      await save(copies);
    },
    async delete(ids) {
      const copies = await load();
      for (const id of ids) copies.delete(id);
      await save(copies);
    },
  };
}

/** A shadow store that lives as long as the process: delta pulls then start from full records after a restart. */
export function memoryShadowStore(): ShadowStore {
  const values = new Map<string, unknown>();
  return keyValueShadowStore(
    {
      get: (key) => Promise.resolve(values.get(key)),
      set: (key, value) => {
        values.set(key, value);
        return Promise.resolve();
      },
    },
    'shadow',
  );
}
