import { isIPv4, isIPv6 } from 'node:net';
import type { PolicyConditions } from './policy-document';
import { type PropChecker, isUnresolved } from './prop-validation';

/**
 * Where a long-lived key may be used from. Unset, it may be used from anywhere; set, AssumeRole is
 * allowed only from one of the listed IP ranges OR through one of the listed VPC endpoints.
 */
export interface SourceNetworkOptions {
  /**
   * Public IP ranges (CIDR, IPv4 or IPv6, e.g. `203.0.113.0/24`) AssumeRole may come from: an
   * `aws:SourceIp` condition. AWS sets that key to the public address it sees, and leaves it out
   * for calls through a VPC endpoint (IAM User Guide, "AWS global condition context keys"), so a
   * private range would never match and is refused: list the endpoints in `allowedVpcEndpoints`
   * instead. At most 20 ranges.
   * @default - any address (unless allowedVpcEndpoints is set)
   */
  readonly allowedSourceIps?: string[];
  /**
   * Interface VPC endpoints of STS (`vpce-…` ids) AssumeRole may come through: an `aws:SourceVpce`
   * condition. At most 20.
   * @default - no endpoint (unless allowedSourceIps is set, any network)
   */
  readonly allowedVpcEndpoints?: string[];
}

/** One way in: the Sid suffix of its statement and the condition it adds. */
export interface SourceNetworkAlternative {
  readonly sidSuffix: 'FromSourceIps' | 'FromVpcEndpoints';
  readonly condition: PolicyConditions;
}

/**
 * The conditions that admit a request from the allowed networks, one per kind, to go into one
 * statement each: statements are OR-ed, the keys of one condition AND-ed. One statement holding
 * both keys could never match (a call has `aws:SourceIp` or `aws:SourceVpce`, never both), and an
 * `…IfExists` operator would admit any call through any endpoint. Empty when nothing is restricted.
 */
export function sourceNetworkAlternatives(options: SourceNetworkOptions | undefined): SourceNetworkAlternative[] {
  const alternatives: SourceNetworkAlternative[] = [];
  if (options?.allowedSourceIps !== undefined) {
    alternatives.push({ sidSuffix: 'FromSourceIps', condition: { IpAddress: { 'aws:SourceIp': [...options.allowedSourceIps] } } });
  }
  if (options?.allowedVpcEndpoints !== undefined) {
    alternatives.push({
      sidSuffix: 'FromVpcEndpoints',
      condition: { StringEquals: { 'aws:SourceVpce': [...options.allowedVpcEndpoints] } },
    });
  }
  return alternatives;
}

/** Checks `allowedSourceIps` and `allowedVpcEndpoints` (prop names prefixed with `at`). */
export function checkSourceNetwork(check: PropChecker, options: SourceNetworkOptions | undefined, at = ''): void {
  const ips = options?.allowedSourceIps;
  const endpoints = options?.allowedVpcEndpoints;
  check.list(`${at}allowedSourceIps`, ips, '["203.0.113.0/24"]', 'a list of CIDR ranges');
  check.list(`${at}allowedVpcEndpoints`, endpoints, '["vpce-0123456789abcdef0"]', 'a list of VPC endpoint ids');
  for (const [prop, list, what] of [
    [`${at}allowedSourceIps`, ips, 'CIDR range'],
    [`${at}allowedVpcEndpoints`, endpoints, 'VPC endpoint'],
  ] as const) {
    if (list === undefined || isUnresolved(list)) continue;
    if (list.length === 0) check.fail(prop, list, `must name at least one ${what} (leave it out to allow any)`);
    // IAM quotas: a user's inline policies and a role's trust policy hold 2,048 characters by default.
    if (list.length > 20)
      check.fail(prop, list, `may hold at most 20 entries (IAM limits a trust policy and a user's inline policies to 2,048 characters)`);
  }
  ips?.forEach((cidr, index) => {
    checkPublicCidr(check, `${at}allowedSourceIps[${index}]`, cidr);
  });
  endpoints?.forEach((id, index) => {
    if (!isUnresolved(id) && (typeof id !== 'string' || !VPC_ENDPOINT_ID.test(id))) {
      check.fail(`${at}allowedVpcEndpoints[${index}]`, id, 'must be a VPC endpoint id: "vpce-" and 8 or 17 lowercase hex digits');
    }
  });
}

const VPC_ENDPOINT_ID = /^vpce-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** Ranges `aws:SourceIp` never holds on AWS: private, shared and link-local addresses (RFC 1918, 6598, 3927, 4193, 4291). */
const NON_PUBLIC_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'];

function checkPublicCidr(check: PropChecker, prop: string, cidr: string): void {
  if (isUnresolved(cidr)) return;
  const parsed = typeof cidr === 'string' ? parseCidr(cidr) : undefined;
  if (parsed === undefined) check.fail(prop, cidr, 'must be a CIDR range such as "203.0.113.0/24", "198.51.100.7/32" or "2001:db8::/32"');
  if (parsed.prefix === 0) check.fail(prop, cidr, 'must not be a /0 range: it allows every address; leave allowedSourceIps out instead');
  const network = parsed.address & parsed.mask;
  if (network !== parsed.address) {
    check.fail(
      prop,
      cidr,
      `has bits set after the /${parsed.prefix} prefix: write the network address (${formatAddress(network, parsed.bits)}/${parsed.prefix})`,
    );
  }
  for (const range of NON_PUBLIC_RANGES.map((text) => parseCidr(text)!)) {
    if (range.bits === parsed.bits && parsed.prefix >= range.prefix && (network & range.mask) === range.address) {
      check.fail(
        prop,
        cidr,
        "is a private range, which aws:SourceIp never holds (AWS sees the public address of a NAT, and no aws:SourceIp at all through a VPC endpoint): list the NAT's public address, or the endpoint in allowedVpcEndpoints",
      );
    }
  }
}

interface ParsedCidr {
  readonly address: bigint;
  readonly prefix: number;
  readonly bits: 32 | 128;
  readonly mask: bigint;
}

function parseCidr(text: string): ParsedCidr | undefined {
  const match = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(text);
  if (match === null) return undefined;
  const [, host, prefixText] = match;
  const bits = isIPv4(host) ? 32 : isIPv6(host) ? 128 : undefined;
  const prefix = Number(prefixText);
  if (bits === undefined || prefix > bits) return undefined;
  const address = bits === 32 ? host.split('.').reduce((sum, octet) => (sum << 8n) | BigInt(octet), 0n) : ipv6ToBigInt(host);
  const all = (1n << BigInt(bits)) - 1n;
  return { address, prefix, bits, mask: all ^ ((1n << BigInt(bits - prefix)) - 1n) };
}

/** An IPv6 address (already checked by `isIPv6`, possibly with `::` or a dotted IPv4 tail) as a number. */
function ipv6ToBigInt(host: string): bigint {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  let text = host;
  if (dotted !== null) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${host.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((sum, group) => (sum << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function formatAddress(address: bigint, bits: 32 | 128): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, index) => ((address >> BigInt(112 - index * 16)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
