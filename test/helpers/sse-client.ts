import { IncomingMessage, request } from 'node:http';
import { createGunzip } from 'node:zlib';

export interface SseEvent {
  event: string;
  id?: string;
  retry?: number;
  data: any;
  /** process.hrtime in ms when the event arrived. */
  at: number;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  /** The error body when the server refused the stream. */
  body?: any;
  events: SseEvent[];
  /** Resolves with the first event (from the start) matching, waiting up to timeoutMs. */
  waitFor(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A minimal EventSource over node:http (gzip understood), for tests and the bench. */
export function openStream(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let endResolve!: () => void;
      const ended = new Promise<void>((done) => (endResolve = done));
      const source = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
      let buffer = '';
      let retry: number | undefined;
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        ended,
        close: () => req.destroy(),
        waitFor: (match, timeoutMs = 5000) =>
          new Promise((found, fail) => {
            const check = (): boolean => {
              const hit = events.find(match);
              if (!hit) return false;
              waiters.delete(check);
              clearTimeout(timer);
              found(hit);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
            }, timeoutMs);
            if (!check()) waiters.add(check);
          }),
      };
      source.setEncoding('utf8');
      if ((res.statusCode ?? 0) !== 200) {
        let text = '';
        source.on('data', (chunk: string) => (text += chunk));
        source.on('end', () => {
          client.body = text ? JSON.parse(text) : undefined;
          resolve(client);
        });
        return;
      }
      source.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
          }
          if (fields.retry !== undefined) retry = Number(fields.retry);
          if (fields.event === undefined && fields.data === undefined) continue;
          events.push({
            event: fields.event ?? 'message',
            id: fields.id,
            retry,
            data: fields.data !== undefined ? JSON.parse(fields.data) : undefined,
            at: Number(process.hrtime.bigint()) / 1e6,
          });
          for (const waiter of [...waiters]) waiter();
        }
      });
      const finish = (): void => endResolve();
      source.on('end', finish);
      source.on('error', finish);
      res.on('close', finish);
      resolve(client);
    });
    req.on('error', reject);
    req.end();
  });
}
