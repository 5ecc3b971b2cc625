import { lookup as dnsLookup, promises as dns, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

const { IPv4 } = ipaddr
type IPv4 = ipaddr.IPv4
type IPv6 = ipaddr.IPv6

/*
| Requests the server makes to addresses a tenant chose (URL sources, webhook
| targets) or another service named (media links in Graph API answers) must
| not reach the server's own network: a tenant could otherwise
| read the cloud metadata service (169.254.169.254), an admin panel on
| localhost or a database on 10.x. Every such request resolves the host and
| refuses loopback, private, link-local, unique-local, multicast, reserved and
| unspecified addresses, IPv4 and IPv6 alike (IPv4 hidden inside IPv6 forms
| included). Callers check each redirect hop and connect with
| `guardedLookup`, which checks again at connect time, so a DNS answer that
| changes between the check and the connection (DNS rebinding) is caught.
*/

export type BlockedReason = 'scheme' | 'private_address' | 'unresolvable'

export class BlockedAddressError extends Error {
  constructor(
    readonly reason: BlockedReason,
    message: string,
    readonly address: string | null = null
  ) {
    super(message)
    this.name = 'BlockedAddressError'
  }
}

export interface GuardOptions {
  /** Let private addresses through (tests with a local site; never in production). */
  allowPrivate: boolean
}

/**
 * Throws BlockedAddressError unless every address the URL's host resolves to
 * is public. Only http and https are allowed.
 */
export async function assertPublicTarget(url: URL, { allowPrivate }: GuardOptions): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlockedAddressError(
      'scheme',
      `Only http and https addresses can be fetched, not ${url.protocol}`
    )
  }
  if (allowPrivate) return
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  if (isIP(host)) {
    addresses = [host]
  } else {
    try {
      const entries = await dns.lookup(host, { all: true, verbatim: true })
      addresses = entries.map((entry) => entry.address)
    } catch {
      throw new BlockedAddressError('unresolvable', `The host ${host} could not be found.`)
    }
  }
  for (const address of addresses) {
    if (!isPublicAddress(address)) {
      throw new BlockedAddressError(
        'private_address',
        `${host} points to a private or reserved address (${address}).`,
        address
      )
    }
  }
}

/**
 * A `lookup` for http.request / net.connect that refuses private addresses
 * at connect time (unless allowed), closing the window between the check and
 * the connection.
 */
export function guardedLookup({ allowPrivate }: GuardOptions): LookupFunction {
  return ((hostname: string, options: any, callback: any) => {
    dnsLookup(hostname, { ...options, all: true }, (error, entries: LookupAddress[]) => {
      if (error) return callback(error)
      const list = entries as LookupAddress[]
      const blocked = allowPrivate
        ? undefined
        : list.find((entry) => !isPublicAddress(entry.address))
      if (blocked) {
        return callback(
          new BlockedAddressError(
            'private_address',
            `${hostname} points to a private or reserved address (${blocked.address}).`,
            blocked.address
          )
        )
      }
      if (options?.all) return callback(null, list)
      callback(null, list[0].address, list[0].family)
    })
  }) as LookupFunction
}

/**
 * True when an IPv4 or IPv6 address may be reached from the public internet.
 * Parsed with ipaddr.js; IPv6 forms that carry an IPv4 address (mapped,
 * translated, NAT64, 6to4, Teredo, the deprecated IPv4-compatible form) are
 * judged by the IPv4 address they lead to, since that is where the packets go.
 */
export function isPublicAddress(address: string): boolean {
  const plain = address.replace(/%.*$/, '')
  // Only the forms a socket dials: four-part decimal IPv4 or any IPv6 text.
  if (ipaddr.IPv4.isValidFourPartDecimal(plain)) return isPublicV4(ipaddr.IPv4.parse(plain))
  if (ipaddr.IPv6.isValid(plain)) return isPublicV6(ipaddr.IPv6.parse(plain))
  return false
}

/**
 * ipaddr.js names every special-purpose range (private, loopback, link-local,
 * carrier-grade NAT, multicast, broadcast, documentation, benchmarking,
 * reserved); `unicast` is what is left. AS112 and AMT are anycast services
 * reachable from anywhere.
 */
const PUBLIC_V4_RANGES = new Set(['unicast', 'as112', 'amt'])
const PUBLIC_V6_RANGES = new Set(['unicast', 'as112v6', 'amt'])

function isPublicV4(address: IPv4) {
  return PUBLIC_V4_RANGES.has(address.range())
}

function isPublicV6(address: IPv6) {
  const embedded = embeddedV4(address)
  if (embedded === 'none') return PUBLIC_V6_RANGES.has(address.range())
  if (embedded === 'unknowable') return false
  return embedded.every(isPublicV4)
}

/**
 * The IPv4 addresses an IPv6 address leads to: 'none' for plain IPv6, and
 * 'unknowable' for a local NAT64 prefix (64:ff9b:1::/48, RFC 8215) whose
 * layout cannot be told from the address alone.
 */
function embeddedV4(address: IPv6): IPv4[] | 'none' | 'unknowable' {
  const bytes = address.toByteArray()
  const v4 = (offset: number, flip = 0) =>
    new IPv4(bytes.slice(offset, offset + 4).map((byte) => byte ^ flip))
  const zero = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0)
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d, IPv4-translated (SIIT)
      return [v4(12)]
    case 'rfc6052': {
      // The well-known NAT64 prefix 64:ff9b::/96 puts the address last.
      if (bytes[4] === 0 && bytes[5] === 0) return [v4(12)]
      // 64:ff9b:1::/48 is for local NAT64 prefixes of any RFC 6052 length;
      // only its /96 form (zeros before the last 32 bits) can be read.
      return zero(6, 12) ? [v4(12)] : 'unknowable'
    }
    case '6to4': // 2002:AABB:CCDD::/48
      return [v4(2)]
    case 'teredo': // 2001:0:<server v4>:<flags>:<port>:<client v4 xor ff>
      return [v4(4), v4(12, 0xff)]
    default:
      // ::a.b.c.d, the deprecated IPv4-compatible form; :: and ::1 land in 0.0.0.0/8.
      return zero(0, 12) ? [v4(12)] : 'none'
  }
}
