import { call, TestApp } from './test-app';

export interface HeldRecord {
  version: number;
  data: Record<string, unknown> | null;
}

interface Change {
  domain: string;
  mobile_id: string;
  version: number;
  deleted: boolean;
  data: Record<string, unknown> | null;
}

/** A device's local store, kept in step through pulls and replacement syncs like a client would. */
export class Phone {
  readonly records = new Map<string, HeldRecord>();
  cursor: string | null = null;
  /** Every (record, version) this phone received, to catch a version delivered twice. */
  readonly received: string[] = [];

  constructor(
    private readonly t: TestApp,
    private readonly key: string,
    readonly device: string,
  ) {}

  private apply(change: Change): void {
    this.received.push(`${change.domain}:${change.mobile_id}:${change.version}:${change.deleted}`);
    const id = `${change.domain}:${change.mobile_id}`;
    const held = this.records.get(id);
    if (held && held.version >= change.version) return;
    if (change.deleted) this.records.delete(id);
    else this.records.set(id, { version: change.version, data: change.data });
  }

  /** One pull page from the phone's cursor; returns the HTTP status and has_more. */
  async pullPage(limit = 100): Promise<{ status: number; hasMore: boolean; body: any }> {
    const query = `?limit=${limit}${this.cursor ? `&cursor=${this.cursor}` : ''}`;
    const page = await call(this.t, 'GET', `/api/v1/sync/pull${query}`, { key: this.key, device: this.device });
    if (page.status !== 200) return { status: page.status, hasMore: false, body: page.body };
    for (const change of page.body.changes) this.apply(change);
    this.cursor = page.body.next_cursor;
    return { status: 200, hasMore: page.body.has_more, body: page.body };
  }

  /** Pulls until the feed has nothing more; the status of the last page. */
  async pullAll(limit = 100): Promise<number> {
    for (;;) {
      const page = await this.pullPage(limit);
      if (page.status !== 200 || !page.hasMore) return page.status;
    }
  }

  /** Replacement sync: a fresh store from the snapshot, then the feed from its last cursor. */
  async replace(limit = 100, betweenPages: () => Promise<void> = async () => undefined): Promise<number> {
    this.records.clear();
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call(this.t, 'GET', `/api/v1/sync/snapshot${query}`, { key: this.key, device: this.device });
      if (page.status !== 200) throw new Error(`snapshot answered ${page.status}: ${JSON.stringify(page.body)}`);
      pages += 1;
      for (const change of page.body.changes) this.apply(change);
      cursor = page.body.next_cursor;
      if (!page.body.has_more) break;
      await betweenPages();
    }
    this.cursor = cursor;
    return pages;
  }
}
