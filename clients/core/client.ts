import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from '../generated/fieldsync-api';

/** The typed client; `deviceId` is what it sends as `X-Device-Id` (push declares the header required). */
export type FieldsyncClient = Client<paths> & { readonly deviceId: string };

export interface FieldsyncClientOptions {
  /** Origin of the service, e.g. `https://sync.example.com`. */
  baseUrl: string;
  /** A `sync`-scope credential (API key or JWT); a function is asked before every request. */
  credential: string | (() => string | Promise<string>);
  /** Sent as `X-Device-Id` (1..128 chars): the server keys idempotency and queues by it. */
  deviceId: string;
  /** Defaults to the global fetch. */
  fetch?: (request: Request) => Promise<Response>;
  /** Asked for on every call; platforms whose fetch does not decode `br` can narrow it. Browsers set their own. */
  acceptEncoding?: string;
}

/** An openapi-fetch client typed on the committed openapi.json, with credential, device and compression headers. */
export function createFieldsyncClient(options: FieldsyncClientOptions): FieldsyncClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  const headers: Middleware = {
    async onRequest({ request }) {
      const credential = typeof options.credential === 'function' ? await options.credential() : options.credential;
      request.headers.set('authorization', `Bearer ${credential}`);
      request.headers.set('x-device-id', options.deviceId);
      request.headers.set('accept-encoding', options.acceptEncoding ?? 'gzip, deflate, br');
      return request;
    },
  };
  client.use(headers);
  return Object.assign(client, { deviceId: options.deviceId });
}
