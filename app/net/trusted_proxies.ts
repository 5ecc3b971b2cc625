import ipaddr from 'ipaddr.js'

/*
| Which peers may tell us the client's address (X-Forwarded-For) and the
| original host and scheme (X-Forwarded-Host, X-Forwarded-Proto). Anyone
| else's headers are ignored: trusting them lets a client pick its own
| address and slip past every per-address limit (sign-in lockout, web chat).
| None is trusted by default; the operator names their load balancers in
| TRUSTED_PROXIES.
*/

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** The words proxy-addr (and Express) understand, for operators who know them. */
const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

export class InvalidTrustedProxyError extends Error {}

/**
 * `TRUSTED_PROXIES`: comma-separated IPv4/IPv6 addresses, CIDR ranges and
 * the words loopback, linklocal and uniquelocal. Throws on anything else, so
 * a typo stops the boot instead of silently trusting nobody (or everybody).
 */
export function parseTrustedProxies(value: string | undefined | null): Range[] {
  const ranges: Range[] = []
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim()
    if (!entry) continue
    const named = NAMED[entry.toLowerCase()]
    for (const cidr of named ?? [entry.includes('/') ? entry : withFullPrefix(entry)]) {
      // Strict IPv4 (four decimal parts): `10.1` is a typo, not 10.0.0.1.
      if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr) && !ipaddr.IPv6.isValidCIDR(cidr)) {
        throw new InvalidTrustedProxyError(
          `TRUSTED_PROXIES: "${entry}" is not an IP address, a CIDR range or one of ${Object.keys(NAMED).join(', ')}`
        )
      }
      const [address, bits] = ipaddr.parseCIDR(cidr)
      ranges.push(
        isMapped(address) && bits >= 96 ? [unmapped(address), bits - 96] : [address, bits]
      )
    }
  }
  return ranges
}

function withFullPrefix(address: string) {
  return `${address}/${address.includes(':') ? 128 : 32}`
}

function isMapped(address: ipaddr.IPv4 | ipaddr.IPv6): address is ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
}

/** `::ffff:10.0.0.1` is 10.0.0.1: a dual-stack socket reports IPv4 peers that way. */
function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6) {
  return isMapped(address) ? address.toIPv4Address() : address
}

/**
 * The `trustProxy` function AdonisJS (proxy-addr) calls for the socket's
 * peer and then for each X-Forwarded-For hop from the right: the client is
 * the first address that is not a trusted proxy.
 */
export function proxyTrust(ranges: Range[]): (address: string) => boolean {
  if (!ranges.length) return () => false
  return (address: string) => {
    const plain = address.replace(/%.*$/, '')
    if (!ipaddr.isValid(plain)) return false
    const parsed = unmapped(ipaddr.parse(plain))
    return ranges.some(
      ([range, bits]) => range.kind() === parsed.kind() && parsed.match(range as any, bits)
    )
  }
}

let compiled: { source: string; trust: (address: string) => boolean } | null = null

/**
 * A trust function that reads the list each time through `read` (the app's
 * config), recompiling only when it changed: a test can name a proxy for
 * one group and take it away again.
 */
export function trustConfiguredProxies(read: () => string | undefined) {
  return (address: string) => {
    const source = read() ?? ''
    if (compiled?.source !== source) {
      compiled = { source, trust: proxyTrust(parseTrustedProxies(source)) }
    }
    return compiled.trust(address)
  }
}
