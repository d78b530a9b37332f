import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { AddressDeniedError } from './errors.js';

/**
 * Networks no registry connection may reach unless allowed: link-local (where
 * cloud metadata services live) and the metadata addresses outside it.
 */
export const DEFAULT_DENY_NETWORKS: readonly string[] = [
  '169.254.0.0/16', // IPv4 link-local: AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
  'fe80::/10', // IPv6 link-local
  '100.100.100.200/32', // Alibaba Cloud metadata
  'fd00:ec2::254/128', // AWS metadata over IPv6
  '168.63.129.16/32', // Azure platform endpoint (WireServer)
];

interface Network {
  cidr: string;
  list: BlockList;
}

/**
 * RFC 6052's well-known NAT64 prefix: behind a NAT64 gateway, 64:ff9b::a.b.c.d
 * reaches the IPv4 address a.b.c.d, so it is checked against the IPv4 rules too
 * (64:ff9b::a9fe:a9fe is the metadata service).
 */
const NAT64 = new BlockList();
NAT64.addSubnet('64:ff9b::', 96, 'ipv6');

/** Parses `address/prefix` (IPv4 or IPv6; a bare address is a single host); the reason if not. */
export function parseNetwork(text: string): Network | { reason: string } {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) {
    return { reason: `${JSON.stringify(text)} is not a CIDR such as 10.0.0.0/8 or fd00::/8` };
  }
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
    return { reason: `${JSON.stringify(text)} has a prefix length outside 0-${max}` };
  }
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return { cidr: `${address}/${prefix}`, list };
}

/**
 * Which addresses outbound connections may reach: an address in a denied network
 * is refused unless it is also in an allowed one (allow wins, so an operator can
 * open one host inside a denied range).
 */
export class AddressPolicy {
  private readonly deny: Network[];
  private readonly allow: Network[];

  constructor(deny: readonly string[], allow: readonly string[] = []) {
    this.deny = deny.map(network);
    this.allow = allow.map(network);
  }

  /** The denied network (CIDR) that refuses `address`, or undefined when it may be reached. */
  refusal(address: string): string | undefined {
    const family = isIP(address);
    if (!family) return undefined;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const translated = type === 'ipv6' && NAT64.check(address, 'ipv6') ? lastIpv4(address) : '';
    // BlockList matches IPv4-mapped IPv6 (::ffff:169.254.169.254) against IPv4 rules.
    const matches = (n: Network) =>
      n.list.check(address, type) || (translated !== '' && n.list.check(translated, 'ipv4'));
    const denied = this.deny.find(matches);
    if (!denied || this.allow.some(matches)) return undefined;
    return denied.cidr;
  }
}

/** The IPv4 address in the last 32 bits of a valid IPv6 address (hex or dotted tail). */
function lastIpv4(address: string): string {
  const text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) return dotted[1]!;
  const [head = '', tail] = text.split('::');
  const words = [
    ...(head ? head.split(':') : []),
    ...(tail === undefined ? [] : Array<string>(8).fill('0')),
    ...(tail ? tail.split(':') : []),
  ].map((w) => parseInt(w, 16));
  // With '::' the zeros it stands for sit between head and tail: the last two words
  // are the tail's (or zeros when the tail is short).
  const [high = 0, low = 0] = words.slice(-2);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

function network(text: string): Network {
  const parsed = parseNetwork(text);
  if ('reason' in parsed) throw new Error(parsed.reason);
  return parsed;
}

/**
 * An undici connector that checks every address before connecting to it: an IP
 * literal host directly, a name after DNS resolution (inside net.connect's lookup,
 * so the address checked is the address connected to: no second resolution for a
 * rebinding DNS server to answer differently). Addresses the policy refuses are
 * dropped from the answer; when none is left the connection fails with
 * AddressDeniedError naming the host, the address and the rule. Every connection of
 * a client goes through it: the registry, storage it redirects to, token realms.
 */
export function guardedConnector(
  policy: AddressPolicy,
  registry: string,
  options: buildConnector.BuildOptions,
): buildConnector.connector {
  const connect = buildConnector({ ...options, lookup: guardedLookup(policy, registry) });
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    const rule = isIP(host) ? policy.refusal(host) : undefined;
    if (rule) {
      const error = new AddressDeniedError({ registry, host, address: host, rule });
      queueMicrotask(() => callback(error, null));
      return;
    }
    connect(opts, callback);
  };
}

function guardedLookup(policy: AddressPolicy, registry: string): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((a) => policy.refusal(a.address) === undefined);
      const first = allowed[0];
      if (!first) {
        const refused = addresses[0]!;
        const rule = policy.refusal(refused.address)!;
        const denied = new AddressDeniedError({
          registry,
          host: hostname,
          address: refused.address,
          rule,
        });
        return callback(denied, '', 0);
      }
      if (options.all) return (callback as AllCallback)(null, allowed);
      callback(null, first.address, first.family);
    });
  };
}

type AllCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;
