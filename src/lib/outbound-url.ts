import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';

/**
 * SSRF rules for URLs Gatehouse calls on an org admin's behalf (webhooks, IdP metadata URLs):
 * an admin of one org must not make Gatehouse reach its own network (metadata
 * services, databases, admin ports). https only unless the operator allows
 * http; no host that resolves to a private, loopback, link-local, CGNAT,
 * multicast or reserved address unless the operator allows private networks.
 * An IPv6 address that carries an IPv4 address (mapped, compatible,
 * translated, 6to4, well-known NAT64) is judged by that IPv4 address; other
 * IPv6 is allowed only in global unicast outside its special-purpose blocks.
 * Checked when the URL is saved (a readable 400) and again, address by
 * address, when connecting (DNS rebinding: a name may resolve differently later).
 */
export interface OutboundPolicy {
  allowHttp: boolean;
  allowPrivateNetworks: boolean;
}

/**
 * Each refused IPv4 range with what it is, in the words a refusal shows an admin (an
 * unexplained "private" for a CGNAT, multicast or documentation address reads as a bug).
 */
const V4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'shared address space for carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link-local (169.254.0.0/16, where cloud metadata services answer)'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'reserved for IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'reserved for documentation (192.0.2.0/24)'],
  ['192.88.99.0', 24, 'the 6to4 relay anycast range (192.88.99.0/24)'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'reserved for benchmarking (198.18.0.0/15)'],
  ['198.51.100.0', 24, 'reserved for documentation (198.51.100.0/24)'],
  ['203.0.113.0', 24, 'reserved for documentation (203.0.113.0/24)'],
  ['224.0.0.0', 4, 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'reserved (240.0.0.0/4, broadcast included)'],
];

function blockList(ranges: ReadonlyArray<readonly [string, number, string]>, family: 'ipv4' | 'ipv6'): Array<[BlockList, string]> {
  return ranges.map(([net, prefix, kind]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, family);
    return [list, kind];
  });
}

const blockedV4 = blockList(V4_RANGES, 'ipv4');

/**
 * IPv6 outside global unicast (2000::/3) is refused outright (loopback,
 * unspecified, ULA fc00::/7, link-local, site-local fec0::/10, multicast,
 * discard 100::/64, local-use NAT64 64:ff9b:1::/48 and whatever else is
 * reserved), except the forms below that carry an IPv4 address. Inside
 * 2000::/3 these special-purpose blocks are refused (RFC 6890 registry):
 * 2001::/23 (IETF protocol assignments: Teredo 2001::/32, whose embedded
 * client address is obfuscated, benchmarking, ORCHID…), 2001:db8::/32 and
 * 3fff::/20 (documentation).
 */
const blockedV6 = blockList([
  ['2001::', 23, 'reserved for IETF protocols (2001::/23: Teredo, benchmarking, ORCHID…)'],
  ['2001:db8::', 32, 'reserved for documentation (2001:db8::/32)'],
  ['3fff::', 20, 'reserved for documentation (3fff::/20)'],
], 'ipv6');

/** What an IPv6 address outside global unicast is, by its leading bits. */
const nonGlobalV6 = blockList([
  ['fc00::', 7, 'a unique local address (fc00::/7), IPv6\'s private range'],
  ['fe80::', 10, 'link-local (fe80::/10)'],
  ['fec0::', 10, 'site-local (fec0::/10)'],
  ['ff00::', 8, 'multicast (ff00::/8)'],
  ['64:ff9b:1::', 48, 'in the local-use NAT64 prefix (64:ff9b:1::/48), where the IPv4 address it stands for depends on the network'],
], 'ipv6');

/** An IPv6 address (as `isIP` accepts it, dotted tail included, no zone) as 16 bytes. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 255;
  });
  return bytes;
}

const zeros = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
const dottedAt = (bytes: Uint8Array, at: number) => `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;

/**
 * The IPv4 address an IPv6 address stands for, where packets to it reach that
 * IPv4 address (through the host's own stack, a 6to4 relay or a NAT64
 * translator): IPv4-compatible ::/96 (:: and ::1 included), IPv4-mapped
 * ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96 (RFC 6145), 6to4 2002::/16
 * (RFC 3056, the address in bits 16–47) and the well-known NAT64 prefix
 * 64:ff9b::/96 (RFC 6052: DNS64 answers public hosts with it on IPv6-only
 * networks).
 */
function embeddedIpv4(bytes: Uint8Array): string | undefined {
  if (zeros(bytes, 0, 12)) return dottedAt(bytes, 12);
  if (zeros(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return dottedAt(bytes, 12);
  if (zeros(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(bytes, 10, 12)) return dottedAt(bytes, 12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return dottedAt(bytes, 2);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(bytes, 4, 12)) return dottedAt(bytes, 12);
  return undefined;
}

/** Why an address is refused: what it is, and the IPv4 address an IPv6 form stands for (judged by it). */
interface Refusal {
  kind: string;
  ipv4?: string;
}

/** Why no webhook may reach `address` without `allowPrivateNetworks`, or undefined when one may. */
function refusal(address: string): Refusal | undefined {
  // A zone (`fe80::1%eth0`) names an interface, not part of the address.
  const bare = address.replace(/%.*$/, '');
  const family = isIP(bare);
  const v4Kind = (v4: string) => blockedV4.find(([list]) => list.check(v4, 'ipv4'))?.[1];
  const of = (kind: string | undefined, ipv4?: string): Refusal | undefined => (kind ? { kind, ...(ipv4 ? { ipv4 } : {}) } : undefined);
  if (family === 4) return of(v4Kind(bare));
  if (family !== 6) return { kind: 'not an IP address' };
  const bytes = ipv6Bytes(bare);
  // :: and ::1 are IPv6's own, not the IPv4-compatible forms of 0.0.0.0 and 0.0.0.1.
  if (zeros(bytes, 0, 15)) return { kind: bytes[15] === 1 ? 'loopback (::1)' : 'unspecified (::)' };
  const ipv4 = embeddedIpv4(bytes);
  if (ipv4) return of(v4Kind(ipv4), ipv4);
  // Outside 2000::/3 (global unicast): nothing a webhook may reach.
  if ((bytes[0]! & 0xe0) !== 0x20) return of(nonGlobalV6.find(([list]) => list.check(bare, 'ipv6'))?.[1] ?? 'not a global unicast address (outside 2000::/3)');
  return of(blockedV6.find(([list]) => list.check(bare, 'ipv6'))?.[1]);
}

/** True for addresses no webhook may reach without `allowPrivateNetworks`; an IPv6 form carrying an IPv4 address is judged by that address. */
export function isPrivateAddress(address: string): boolean {
  return refusal(address) !== undefined;
}

/** What a refusal says an admin can do about it: their own network needs the operator's consent. */
const PRIVATE_WAY_OUT = "Gatehouse does not call private, loopback or link-local addresses unless the server's operator allows private networks (WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true)";

/** "is private (RFC 1918)", or "stands for the IPv4 address 127.0.0.1, which is loopback (…)". */
function whatItIs(address: string): string {
  const why = refusal(address) ?? { kind: 'not public' };
  return why.ipv4 ? `stands for the IPv4 address ${why.ipv4}, which is ${why.kind}` : `is ${why.kind}`;
}

/** "<prefix> resolves to 10.0.0.7, which is private (RFC 1918). …" (at save time and at connect time alike). */
function resolvedMessage(prefix: string, address: string): string {
  return `${prefix} resolves to ${address}, which ${whatItIs(address)}. ${PRIVATE_WAY_OUT}`;
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
    throw new OutboundUrlError(policy.allowHttp
      ? 'must be an http or https URL'
      : "must be an https URL (http only where the server's operator allows it, for development: WEBHOOKS_ALLOW_HTTP=true)");
  }
  if (url.username || url.password) throw new OutboundUrlError('must not contain a user name or password: Gatehouse never sends credentials in a URL');
  const host = hostOf(url);
  if (isIP(host) && !policy.allowPrivateNetworks && isPrivateAddress(host)) {
    throw new OutboundUrlError(`must point to a public address: ${host} ${whatItIs(host)}. ${PRIVATE_WAY_OUT}`);
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
  if (bad) throw new OutboundUrlError(resolvedMessage(`host ${host}`, bad.address));
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The resolver under the guard: dns.lookup asked for every address (tests pass their own answers). */
export type Resolve = (hostname: string, options: { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for http.request that refuses private addresses at connect time,
 * so the address checked is the address connected to.
 */
export function guardedLookup(policy: OutboundPolicy, resolve: Resolve = dnsLookup) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const bad = policy.allowPrivateNetworks ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad) {
        const refused: NodeJS.ErrnoException = new OutboundUrlError(resolvedMessage(hostname, bad.address));
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
