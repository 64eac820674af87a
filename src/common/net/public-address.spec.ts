import { assertPublicUrl, classifyAddress, isPublicAddress, UnsafeUrlError } from './public-address';

const canonicalHost = (url: string): string => new URL(url).hostname;

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['169.254.169.254', 'link_local'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link_local'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['::8.8.8.8', 'reserved'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2001::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['93.184.216.34', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:82b::200e', 'public'],
    ['example.com', 'invalid'],
    ['', 'invalid'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('sees through the alternative IPv4 notations once a URL parser has canonicalised them', () => {
    for (const url of ['http://0x7f000001/', 'http://2130706433/', 'http://0177.0.0.1/', 'http://127.1/']) {
      expect([url, classifyAddress(canonicalHost(url))]).toEqual([url, 'loopback']);
    }
    expect(classifyAddress(canonicalHost('http://[::ffff:169.254.169.254]/'))).toBe('link_local');
    expect(isPublicAddress(canonicalHost('http://0x08080808/'))).toBe(true);
  });
});

describe('assertPublicUrl', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    (): Promise<Array<{ address: string }>> =>
      Promise.resolve(addresses.map((address) => ({ address })));

  it('returns the public addresses of a public https URL', async () => {
    await expect(assertPublicUrl('https://93.184.216.34/hook')).resolves.toEqual(['93.184.216.34']);
    await expect(
      assertPublicUrl('https://hooks.example.com/x', { lookup: resolvesTo('93.184.216.34', '2606:2800::1') }),
    ).resolves.toEqual(['93.184.216.34', '2606:2800::1']);
  });

  it.each([
    ['http://93.184.216.34/', {}],
    ['ftp://93.184.216.34/', { allowHttp: true }],
    ['https://user:pw@93.184.216.34/', {}],
    ['https://127.0.0.1/', {}],
    ['https://[::1]:5432/', {}],
    ['https://0x7f000001/', {}],
    ['https://localhost/', {}],
    ['https://LOCALHOST./', {}],
    ['https://a.b.localhost/', {}],
    ['not a url', {}],
  ])('refuses %s', async (url, options) => {
    await expect(assertPublicUrl(url, { ...options, lookup: resolvesTo('93.184.216.34') })).rejects.toThrow(
      UnsafeUrlError,
    );
  });

  it('refuses a name when any of its addresses is not public, or when it does not resolve', async () => {
    const url = 'https://rebind.example.com/';
    await expect(assertPublicUrl(url, { lookup: resolvesTo('93.184.216.34', '10.0.0.5') })).rejects.toThrow(
      /resolves to a private address/,
    );
    await expect(assertPublicUrl(url, { lookup: resolvesTo('::ffff:127.0.0.1') })).rejects.toThrow(/loopback/);
    await expect(assertPublicUrl(url, { lookup: resolvesTo() })).rejects.toThrow(/does not resolve/);
    await expect(assertPublicUrl(url, { lookup: () => Promise.reject(new Error('ENOTFOUND')) })).rejects.toThrow(
      /does not resolve/,
    );
  });

  it('takes http only when allowed, and exempts the configured hosts', async () => {
    await expect(assertPublicUrl('http://93.184.216.34/', { allowHttp: true })).resolves.toEqual(['93.184.216.34']);
    await expect(
      assertPublicUrl('http://127.0.0.1:8080/hook', { allowHttp: true, allowedHosts: ['127.0.0.1'] }),
    ).resolves.toEqual([]);
    await expect(
      assertPublicUrl('https://hooks.internal/x', { allowedHosts: ['hooks.internal'], lookup: resolvesTo('10.0.0.1') }),
    ).resolves.toEqual([]);
  });
});
