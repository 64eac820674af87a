import { lookup as dnsLookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';

/** Why an address is not a public unicast address, or `public`. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'reserved'
  | 'invalid';

type V4Range = [first: number, prefix: number, kind: AddressClass];

const ip4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** IANA IPv4 special-purpose ranges (RFC 6890 and successors) a webhook must not reach. */
const V4_RANGES: V4Range[] = [
  [ip4(0, 0, 0, 0), 8, 'unspecified'],
  [ip4(10, 0, 0, 0), 8, 'private'],
  [ip4(100, 64, 0, 0), 10, 'shared'],
  [ip4(127, 0, 0, 0), 8, 'loopback'],
  [ip4(169, 254, 0, 0), 16, 'link_local'],
  [ip4(172, 16, 0, 0), 12, 'private'],
  [ip4(192, 0, 0, 0), 24, 'reserved'],
  [ip4(192, 0, 2, 0), 24, 'reserved'],
  [ip4(192, 88, 99, 0), 24, 'reserved'],
  [ip4(192, 168, 0, 0), 16, 'private'],
  [ip4(198, 18, 0, 0), 15, 'reserved'],
  [ip4(198, 51, 100, 0), 24, 'reserved'],
  [ip4(203, 0, 113, 0), 24, 'reserved'],
  [ip4(224, 0, 0, 0), 4, 'multicast'],
  [ip4(240, 0, 0, 0), 4, 'reserved'],
];

function inV4Range(address: number, [first, prefix]: V4Range): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (address & mask) >>> 0 === first;
}

function classifyV4(address: number): AddressClass {
  return V4_RANGES.find((range) => inV4Range(address, range))?.[2] ?? 'public';
}

function parseV4(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return ip4(a, b, c, d);
}

/** The eight 16-bit groups of a valid IPv6 text (`::`, a trailing dotted IPv4 part and a zone id handled). */
function parseV6(text: string): number[] {
  let hex = text.replace(/%.*$/, '');
  const lastColon = hex.lastIndexOf(':');
  if (hex.includes('.', lastColon)) {
    const v4 = parseV4(hex.slice(lastColon + 1));
    hex = `${hex.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const gap = hex.indexOf('::');
  if (gap < 0) return groups(hex);
  const left = groups(hex.slice(0, gap));
  const right = groups(hex.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function classifyV6(groups: number[]): AddressClass {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups;
  const embeddedV4 = ((g6 << 16) | g7) >>> 0;
  const zeroTo = (end: number): boolean => groups.slice(0, end).every((group) => group === 0);
  if (zeroTo(8)) return 'unspecified';
  if (zeroTo(7) && g7 === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d).
  if (zeroTo(5) && g5 === 0xffff) return classifyV4(embeddedV4);
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return classifyV4(embeddedV4);
  if (zeroTo(6)) return classifyV4(embeddedV4) === 'public' ? 'reserved' : classifyV4(embeddedV4);
  // NAT64 well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address; 64:ff9b:1::/48 is local use.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyV4(embeddedV4);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private';
  // 6to4 (2002::/16) embeds an IPv4 address in groups 1 and 2.
  if (g0 === 0x2002) return classifyV4(((g1 << 16) | g2) >>> 0);
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard-only 100::/64
  if (g0 === 0x2001 && g1 < 0x200) return 'reserved'; // IETF protocol assignments 2001::/23 (Teredo included)
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if ((g0 & 0xfe00) === 0xfc00) return 'unique_local';
  if ((g0 & 0xffc0) === 0xfe80) return 'link_local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/**
 * Classifies an IP address in its canonical text form (what `new URL()` and `dns.lookup` produce: dotted IPv4,
 * IPv6 with or without brackets). Anything that is not an IP address is `invalid`.
 */
export function classifyAddress(address: string): AddressClass {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(text)) return classifyV4(parseV4(text));
  if (isIPv6(text)) return classifyV6(parseV6(text));
  return 'invalid';
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === 'public';
}

export interface PublicUrlOptions {
  /** Accept `http:` as well as `https:`. */
  allowHttp?: boolean;
  /** Host names or addresses (lower case, IPv6 in brackets) exempt from the public-address rule. */
  allowedHosts?: readonly string[];
  /** DNS resolution, replaced in tests. */
  lookup?: (hostname: string) => Promise<Array<{ address: string }>>;
}

export class UnsafeUrlError extends Error {}

const resolveAll = (hostname: string): Promise<Array<{ address: string }>> =>
  dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Checks that `url` is http(s) as allowed and that its host, by name and every address it resolves to, is a public
 * unicast address (URL parsing canonicalises 0x7f000001, 2130706433, 0177.0.0.1 and 127.1 to 127.0.0.1 first).
 * Returns the addresses checked (for a caller that wants to connect to exactly those); throws UnsafeUrlError.
 */
export async function assertPublicUrl(url: string, options: PublicUrlOptions = {}): Promise<string[]> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeUrlError('is not a URL');
  }
  const allowed = options.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(parsed.protocol)) throw new UnsafeUrlError(`must use ${allowed.join(' or ')}`);
  if (parsed.username || parsed.password) throw new UnsafeUrlError('must not carry credentials');
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  if (options.allowedHosts?.includes(host)) return [];
  const literal = classifyAddress(host);
  if (literal !== 'invalid') {
    if (literal !== 'public') throw new UnsafeUrlError(`names a ${literal.replace('_', '-')} address`);
    return [host.replace(/^\[|\]$/g, '')];
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw new UnsafeUrlError('names a loopback host');
  let addresses: Array<{ address: string }>;
  try {
    addresses = await (options.lookup ?? resolveAll)(host);
  } catch {
    throw new UnsafeUrlError(`host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new UnsafeUrlError(`host ${host} does not resolve`);
  for (const { address } of addresses) {
    const kind = classifyAddress(address);
    if (kind !== 'public') throw new UnsafeUrlError(`host ${host} resolves to a ${kind.replace('_', '-')} address`);
  }
  return addresses.map(({ address }) => address);
}
