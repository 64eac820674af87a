import type { FieldsyncClient } from './client';
import type { Domain } from './sync';

export interface ChangeStreamOptions {
  domains?: readonly Domain[];
  /** Asked at every (re)connect when no event id is known yet: where the app's feed stands. */
  cursor?: () => string | null;
  /** Reconnect delay until the server sends its `retry:` hint. */
  retryMs?: number;
  /** Called for each `changes` event (its id is the page's next_cursor) and after every reconnect ("resync"). */
  onChange: (reason: 'changes' | 'resync', cursor: string | null) => void;
  onError?: (error: unknown) => void;
}

/**
 * Follows `GET /api/v1/sync/changes/stream` (Server-Sent Events over fetch, so the credential header goes with it)
 * until stopped: reconnects after the server's `retry:` hint with `Last-Event-ID`, and says "resync" after each
 * reconnect because changes may have come while it was away. Returns stop().
 */
export function watchChanges(client: FieldsyncClient, options: ChangeStreamOptions): () => void {
  const abort = new AbortController();
  let retryMs = options.retryMs ?? 3000;
  let lastId: string | null = null;
  let connected = false;

  const connect = async (): Promise<void> => {
    const cursor = lastId ?? options.cursor?.() ?? null;
    const { response } = await client.GET('/api/v1/sync/changes/stream', {
      params: {
        query: { ...(cursor ? { cursor } : {}), ...(options.domains ? { domains: options.domains.join(',') } : {}) },
      },
      headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
      parseAs: 'stream',
      signal: abort.signal,
    });
    if (response.status !== 200 || !response.body) throw new Error(`change stream: HTTP ${response.status}`);
    if (connected) options.onChange('resync', lastId);
    connected = true;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const fields = new Map<string, string>();
        for (const line of buffer.slice(0, end).split('\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
        }
        buffer = buffer.slice(end + 2);
        const retry = Number(fields.get('retry'));
        if (Number.isInteger(retry) && retry >= 0) retryMs = retry;
        if (fields.get('event') !== 'changes') continue;
        lastId = fields.get('id') ?? lastId;
        options.onChange('changes', lastId);
      }
    }
  };

  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        await connect();
      } catch (error) {
        if (abort.signal.aborted) return;
        options.onError?.(error);
      }
      connected = true;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void loop();
  return () => abort.abort();
}
