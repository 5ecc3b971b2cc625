import { lookup as dnsLookup, promises as dns, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'

/*
| Requests the server makes to addresses a tenant chose (URL sources, webhook
| targets) must not reach the server's own network: a tenant could otherwise
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

/** True when an IPv4 or IPv6 address may be reached from the public internet. */
export function isPublicAddress(address: string): boolean {
  const plain = address.replace(/%.*$/, '')
  const version = isIP(plain)
  if (version === 4) return isPublicV4(parseV4(plain))
  if (version === 6) return isPublicV6(parseV6(plain))
  return false
}

function parseV4(address: string): number[] {
  return address.split('.').map((part) => Number.parseInt(part, 10))
}

/** [a, b, c, d] within `prefix/bits`. */
function inV4(bytes: number[], prefix: string, bits: number) {
  const base = parseV4(prefix)
  const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0
  const net = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return (value & mask) >>> 0 === (net & mask) >>> 0
}

/** IANA special-purpose IPv4 ranges that are not globally reachable. */
const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
]

function isPublicV4(bytes: number[]) {
  return !V4_BLOCKED.some(([prefix, bits]) => inV4(bytes, prefix, bits))
}

/** Sixteen bytes of an IPv6 address, dotted IPv4 tails included. */
function parseV6(address: string): number[] {
  let text = address.toLowerCase()
  const tail: number[] = []
  const dotted = text.match(/:(\d+\.\d+\.\d+\.\d+)$/)
  if (dotted) {
    tail.push(...parseV4(dotted[1]))
    text = text.slice(0, -dotted[1].length) + '0:0'
  }
  const [head, rest] = text.split('::')
  const headGroups = head ? head.split(':') : []
  const restGroups = rest !== undefined && rest !== '' ? rest.split(':') : []
  const missing = 8 - headGroups.length - restGroups.length
  const groups = [
    ...headGroups,
    ...(rest !== undefined ? Array(missing).fill('0') : []),
    ...restGroups,
  ]
  const bytes: number[] = []
  for (const group of groups) {
    const value = Number.parseInt(group || '0', 16)
    bytes.push((value >> 8) & 0xff, value & 0xff)
  }
  if (tail.length) bytes.splice(12, 4, ...tail)
  return bytes
}

function startsWith(bytes: number[], prefix: number[], bits: number) {
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >> 3
    const mask = 0x80 >> (bit & 7)
    if ((bytes[byte] & mask) !== ((prefix[byte] ?? 0) & mask)) return false
  }
  return true
}

function isPublicV6(bytes: number[]) {
  const zeroPrefix = bytes.slice(0, 10).every((byte) => byte === 0)
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated)
  // reach the IPv4 address inside; judge that address.
  if (zeroPrefix && bytes[10] === 0xff && bytes[11] === 0xff) return isPublicV4(bytes.slice(12))
  // :: and ::1 land in 0.0.0.0/8 this way, so they are refused too.
  if (zeroPrefix && bytes[10] === 0 && bytes[11] === 0) return isPublicV4(bytes.slice(12))
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) also carry an IPv4 address.
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b], 96)) return isPublicV4(bytes.slice(12))
  if (startsWith(bytes, [0x20, 0x02], 16)) return isPublicV4(bytes.slice(2, 6))
  if (startsWith(bytes, [0xfc], 7)) return false // unique-local fc00::/7
  if (startsWith(bytes, [0xfe, 0x80], 10)) return false // link-local fe80::/10
  if (startsWith(bytes, [0xfe, 0xc0], 10)) return false // site-local (deprecated) fec0::/10
  if (startsWith(bytes, [0xff], 8)) return false // multicast ff00::/8
  if (startsWith(bytes, [0x20, 0x01, 0x0d, 0xb8], 32)) return false // documentation
  if (startsWith(bytes, [0x01, 0x00], 64)) return false // discard-only 100::/64
  return true
}
