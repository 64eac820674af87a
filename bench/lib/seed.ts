import { randomUUID } from 'node:crypto';
import { AppServer } from './app-server';
import { HttpClient } from './http';
import { domainOf, editOf, recordFor } from './workload';

export interface SeededRecord {
  domain: string;
  mobileId: string;
}

/** A sync client of one device in a tenant, with a JWT issued by the app. */
export async function deviceClient(app: AppServer, tenant: string, user: string, device: string): Promise<HttpClient> {
  const token = await app.token(tenant, user, 'sync');
  return new HttpClient(app.url, { authorization: `Bearer ${token}`, 'x-device-id': device });
}

const PRIORITIES = ['high', 'medium', 'medium', 'low', 'low'] as const;

/**
 * Pushes `count` new records through the API in batches of 1000 (untimed set-up); with `edit`, pushes one edit of
 * each afterwards so every record is at version 2 with version 1 in history.
 */
export async function seedRecords(
  client: HttpClient,
  count: number,
  options: { mode?: 'process' | 'enqueue'; edit?: boolean; tag?: string } = {},
): Promise<SeededRecord[]> {
  const tag = options.tag ?? randomUUID().slice(0, 8);
  const records: SeededRecord[] = [];
  const send = async (items: unknown[]): Promise<void> => {
    const response = await client.send(
      'POST',
      '/api/v1/sync/push',
      JSON.stringify({ items, mode: options.mode ?? 'process' }),
    );
    if (response.status !== 200)
      throw new Error(`seed push: HTTP ${response.status} ${response.body.toString().slice(0, 300)}`);
  };
  for (let start = 0; start < count; start += 1000) {
    const items = [];
    const edits = [];
    for (let n = start; n < Math.min(count, start + 1000); n++) {
      const domain = domainOf(n);
      const mobileId = randomUUID();
      const data = recordFor(domain, n);
      records.push({ domain, mobileId });
      const item = {
        client_mutation_id: `${tag}-${n}`,
        domain,
        mobile_id: mobileId,
        base_version: 0,
        data,
        client_updated_at: '2025-09-28T10:00:00Z',
        priority: PRIORITIES[n % PRIORITIES.length],
      };
      items.push(item);
      edits.push({ ...item, client_mutation_id: `${tag}-${n}-e`, base_version: 1, data: editOf(domain, data, n) });
    }
    await send(items);
    if (options.edit) await send(edits);
  }
  return records;
}
