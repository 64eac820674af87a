/** JSON with sorted keys: the same edit always serialises to the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface MutationIdentity {
  domain: string;
  mobile_id: string;
  base_version: number;
  data: Record<string, unknown>;
  deleted: boolean;
  client_updated_at: string | null;
}

/**
 * A client_mutation_id derived from the edit itself (SHA-256 of its canonical JSON, Web Crypto): a retry of the same
 * edit gets the same id, so the server replays its stored result instead of applying it twice, and any other edit
 * gets another id. Needs `crypto.subtle` (browsers, Node >= 19; React Native through a polyfill).
 */
export async function mutationId(edit: MutationIdentity): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson({ ...edit, mobile_id: edit.mobile_id.toLowerCase() }));
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const byte of digest.subarray(0, 20)) hex += byte.toString(16).padStart(2, '0');
  return `fs1-${hex}`;
}
