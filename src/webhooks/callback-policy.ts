import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Which callback URLs longrun may call. Denied by default: link-local addresses (which include
 * cloud metadata endpoints such as 169.254.169.254) and the known metadata host names. Rules are
 * host names (`hooks.example.com`, `*.example.com`) or CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
 * With an allow list, only what it names may be called.
 */
export interface CallbackPolicy {
  allowHosts: string[];
  denyHosts: string[];
  allowAddresses: BlockList;
  denyAddresses: BlockList;
  hasAllowList: boolean;
}

const defaultDeny = [
  '169.254.0.0/16',
  'fe80::/10',
  '0.0.0.0/8',
  '100.100.100.200/32',
  'fd00:ec2::254/128',
  'metadata.google.internal',
  'metadata',
  'instance-data',
];

export function parseCallbackPolicy(allow: string, deny: string): CallbackPolicy {
  const split = (list: string) =>
    list
      .split(',')
      .map((rule) => rule.trim().toLowerCase())
      .filter(Boolean);
  const allowRules = split(allow);
  const denyRules = [...defaultDeny, ...split(deny)];
  const policy: CallbackPolicy = {
    allowHosts: [],
    denyHosts: [],
    allowAddresses: new BlockList(),
    denyAddresses: new BlockList(),
    hasAllowList: allowRules.length > 0,
  };
  for (const rule of allowRules) addRule(rule, policy.allowHosts, policy.allowAddresses);
  for (const rule of denyRules) addRule(rule, policy.denyHosts, policy.denyAddresses);
  return policy;
}

function addRule(rule: string, hosts: string[], addresses: BlockList): void {
  const [network, prefix] = rule.split('/');
  const family = isIP(network ?? '');
  if (family === 0) {
    if (prefix !== undefined) throw new Error(`not a CIDR range: ${rule}`);
    hosts.push(rule);
    return;
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
    throw new Error(`bad prefix: ${rule}`);
  addresses.addSubnet(network!, bits, type);
}

function hostMatches(host: string, rules: readonly string[]): boolean {
  return rules.some((rule) => (rule.startsWith('*.') ? host.endsWith(rule.slice(1)) : host === rule));
}

function addressIn(address: string, list: BlockList): boolean {
  // IPv4-mapped IPv6 (::ffff:169.254.169.254) is the IPv4 address it maps.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return list.check(mapped, 'ipv4');
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** Why an address may not be called, or undefined when it may. */
export function refuseAddress(host: string, address: string, policy: CallbackPolicy): string | undefined {
  if (addressIn(address, policy.denyAddresses)) return `${host} resolves to ${address}, which is not allowed`;
  if (
    policy.hasAllowList &&
    !hostMatches(host, policy.allowHosts) &&
    !addressIn(address, policy.allowAddresses)
  ) {
    return `${host} is not on the callback allow list`;
  }
  return undefined;
}

const lookupAll = (host: string): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/** Why a callback URL is refused, or undefined when it is acceptable. Resolves the host name. */
export async function checkCallbackUrl(raw: string, policy: CallbackPolicy): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'only http and https callbacks are allowed';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (hostMatches(host, policy.denyHosts)) return `${host} is not allowed`;
  let addresses: LookupAddress[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookupAll(host);
  } catch {
    return `${host} does not resolve`;
  }
  for (const { address } of addresses) {
    const refused = refuseAddress(host, address, policy);
    if (refused) return refused;
  }
  return undefined;
}

/**
 * A DNS lookup for outgoing callback requests that refuses forbidden addresses at connect time,
 * so a host name that changes its answer after validation (DNS rebinding) cannot reach them.
 */
export function guardedLookup(policy: CallbackPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses;
      for (const { address } of list) {
        const refused = refuseAddress(hostname.toLowerCase(), address, policy);
        if (refused) return callback(Object.assign(new Error(refused), { code: 'ECALLBACKREFUSED' }), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first)
        return callback(
          Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }),
          '',
          0,
        );
      callback(null, first.address, first.family);
    });
  };
}
