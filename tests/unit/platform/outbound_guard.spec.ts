import { test } from '@japa/runner'
import { isPublicAddress } from '#app/net/outbound_guard'

/*
| The outbound guard's verdict on single addresses. IPv6 forms that carry an
| IPv4 address are judged by that address: a loopback or private address
| spelled as IPv6 is still loopback or private.
*/

const REFUSED: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback range'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '"this network"'],
  ['224.0.0.251', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.5', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['::', 'IPv6 unspecified'],
  ['::1', 'IPv6 loopback'],
  ['fe80::1', 'IPv6 link-local'],
  ['fe80::1%eth0', 'IPv6 link-local with a zone'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456::1', 'unique-local'],
  ['fec0::1', 'deprecated site-local'],
  ['ff02::1', 'IPv6 multicast'],
  ['2001:db8::1', 'IPv6 documentation'],
  ['100::1', 'discard-only'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback (dotted)'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback (hex)'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
  ['::ffff:0:7f00:1', 'IPv4-translated loopback (RFC 6145)'],
  ['::ffff:0:10.0.0.1', 'IPv4-translated private'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['::a00:1', 'IPv4-compatible private'],
  ['64:ff9b::127.0.0.1', 'NAT64 well-known prefix to loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 well-known prefix to link-local'],
  ['64:ff9b:1::7f00:1', 'local NAT64 /96 to loopback'],
  ['64:ff9b:1::10.0.0.1', 'local NAT64 /96 to private'],
  ['64:ff9b:1:7f00:0:100::', 'local NAT64 of another prefix length (layout unknowable)'],
  ['64:ff9b:1:808:8:800::', 'local NAT64 /48 layout, even of a public address'],
  ['2002:7f00:1::1', '6to4 of loopback'],
  ['2002:c0a8:101::1', '6to4 of private'],
  ['2001:0:7f00:1:0:0:f7f7:f7f7', 'Teredo with a loopback server'],
  ['2001:0:808:808:0:0:80ff:fffe', 'Teredo with a loopback client (obfuscated 127.0.0.1)'],
  ['2001:0:808:808:0:0:f5ff:fffe', 'Teredo with a private client (obfuscated 10.0.0.1)'],
  ['not-an-ip', 'not an address'],
  ['127.1', 'shorthand IPv4 (never dialled as such)'],
  ['', 'empty'],
]

const ALLOWED: Array<[string, string]> = [
  ['8.8.8.8', 'public IPv4'],
  ['1.1.1.1', 'public IPv4'],
  ['93.184.216.34', 'public IPv4'],
  ['172.32.0.1', 'just outside 172.16.0.0/12'],
  ['192.169.0.1', 'just outside 192.168.0.0/16'],
  ['100.128.0.1', 'just outside 100.64.0.0/10'],
  ['2606:4700:4700::1111', 'public IPv6'],
  ['2001:4860:4860::8888', 'public IPv6'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ['::ffff:0:808:808', 'IPv4-translated public'],
  ['64:ff9b::8.8.8.8', 'NAT64 well-known prefix to public'],
  ['64:ff9b:1::808:808', 'local NAT64 /96 to public'],
  ['2002:808:808::1', '6to4 of public'],
  ['2001:0:808:808:0:0:f7f7:f7f7', 'Teredo with public server and client (8.8.8.8)'],
]

test.group('Outbound guard: which addresses are public', () => {
  test('{address} ({why}) is refused')
    .with(REFUSED.map(([address, why]) => ({ address, why })))
    .run(({ assert }, { address }) => {
      assert.isFalse(isPublicAddress(address), `${address} must be refused`)
    })

  test('{address} ({why}) is allowed')
    .with(ALLOWED.map(([address, why]) => ({ address, why })))
    .run(({ assert }, { address }) => {
      assert.isTrue(isPublicAddress(address), `${address} must be allowed`)
    })
})
