import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';

/**
 * SSRF rules for URLs Gatehouse calls on an org admin's behalf (webhooks):
 * an admin of one org must not make Gatehouse reach its own network (metadata
 * services, databases, admin ports). https only unless the operator allows
 * http; no host that resolves to a private, loopback, link-local, CGNAT,
 * multicast or reserved address unless the operator allows private networks.
 * Checked when the URL is saved (a readable 400) and again, address by
 * address, when connecting (DNS rebinding: a name may resolve differently later).
 */
export interface OutboundPolicy {
  allowHttp: boolean;
  allowPrivateNetworks: boolean;
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** True for addresses no webhook may reach without `allowPrivateNetworks` (IPv4-mapped IPv6 judged as IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  // The URL parser writes a mapped address in hex (::ffff:7f00:1).
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return blocked.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 'ipv4');
  }
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) return blocked.check(address, 'ipv6');
  return true;
}

export class OutboundUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundUrlError';
  }
}

const lookupAll = promisify(dnsLookup) as unknown as (host: string, options: { all: true }) => Promise<LookupAddress[]>;

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The syntax and scheme rules, without DNS. */
export function checkUrlShape(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlError('must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    throw new OutboundUrlError(policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL');
  }
  if (url.username || url.password) throw new OutboundUrlError('must not contain credentials; sign with the webhook secret instead');
  const host = hostOf(url);
  if (isIP(host) && !policy.allowPrivateNetworks && isPrivateAddress(host)) {
    throw new OutboundUrlError(`must not point to a private, loopback or link-local address (${host})`);
  }
  return url;
}

/** Shape, then every address the host resolves to now. */
export async function checkOutboundUrl(raw: string, policy: OutboundPolicy): Promise<URL> {
  const url = checkUrlShape(raw, policy);
  const host = hostOf(url);
  if (policy.allowPrivateNetworks || isIP(host)) return url;
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(host, { all: true });
  } catch {
    throw new OutboundUrlError(`host ${host} does not resolve`);
  }
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad) throw new OutboundUrlError(`host ${host} resolves to a private, loopback or link-local address (${bad.address})`);
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses private addresses at connect time,
 * so the address checked is the address connected to.
 */
export function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const bad = policy.allowPrivateNetworks ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad) {
        const refused: NodeJS.ErrnoException = new OutboundUrlError(`${hostname} resolves to a private, loopback or link-local address (${bad.address})`);
        refused.code = 'EPRIVATEADDRESS';
        return callback(refused, []);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
