import ipaddr from 'ipaddr.js';
import { ConfigError } from './config-error.ts';

/**
 * `PLOTBOX_ALLOW_CIDRS`: comma-separated IPv4/IPv6 ranges (`10.0.0.0/8`, `2001:db8::/32`) or single
 * addresses. IPv4-mapped IPv6 ranges (`::ffff:10.0.0.0/104`) are rewritten as IPv4, because the API
 * compares an IPv4-mapped client address as IPv4.
 */
export function parseAllowCidrs(raw: string | undefined): readonly string[] | null {
  if (raw === undefined) return null;
  const items = raw
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (items.length === 0) throw new ConfigError('PLOTBOX_ALLOW_CIDRS lists no range');
  if (items.length > 256) throw new ConfigError('PLOTBOX_ALLOW_CIDRS lists more than 256 ranges');
  const out = items.map((item) => {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    let bits: number;
    try {
      if (item.includes('/')) [addr, bits] = ipaddr.parseCIDR(item);
      else {
        addr = ipaddr.parse(item);
        bits = addr.kind() === 'ipv4' ? 32 : 128;
      }
      // ipaddr.js reads `1.2.3` and `0x0a.1.2.3` as IPv4 too; a typo must not become a range.
      if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(item.split('/')[0] ?? '')) throw new Error('not dotted quad');
    } catch {
      throw new ConfigError(`PLOTBOX_ALLOW_CIDRS: ${JSON.stringify(item.slice(0, 60))} is not an IPv4 or IPv6 address or range`);
    }
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return `${(addr as ipaddr.IPv6).toIPv4Address().toString()}/${bits - 96}`;
    }
    // The network address: `10.1.2.3/8` means 10.0.0.0/8.
    const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
    return `${network.toString()}/${bits}`;
  });
  return [...new Set(out)];
}
