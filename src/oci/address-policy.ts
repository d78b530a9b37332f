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
    // BlockList matches IPv4-mapped IPv6 (::ffff:169.254.169.254) against IPv4 rules.
    const denied = this.deny.find((n) => n.list.check(address, type));
    if (!denied || this.allow.some((n) => n.list.check(address, type))) return undefined;
    return denied.cidr;
  }
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
