import { test } from '@japa/runner'
import { InvalidTrustedProxyError, parseTrustedProxies, proxyTrust } from '#app/net/trusted_proxies'

test.group('TRUSTED_PROXIES', () => {
  test('unset or empty trusts nobody, loopback included', ({ assert }) => {
    for (const value of [undefined, '', ' , ']) {
      const trust = proxyTrust(parseTrustedProxies(value))
      assert.isFalse(trust('127.0.0.1'))
      assert.isFalse(trust('::1'))
      assert.isFalse(trust('10.0.0.1'))
    }
  })

  test('addresses, CIDR ranges and IPv6 are matched; everything else is not', ({ assert }) => {
    const trust = proxyTrust(parseTrustedProxies('10.0.0.7, 192.168.4.0/24 ,2001:db8::/32'))
    assert.isTrue(trust('10.0.0.7'))
    assert.isFalse(trust('10.0.0.8'))
    assert.isTrue(trust('192.168.4.250'))
    assert.isFalse(trust('192.168.5.1'))
    assert.isTrue(trust('2001:db8:1::5'))
    assert.isFalse(trust('2001:db9::5'))
    assert.isFalse(trust('not-an-address'))
  })

  test('an IPv4 peer on a dual-stack socket (::ffff:a.b.c.d) is the IPv4 address', ({ assert }) => {
    const trust = proxyTrust(parseTrustedProxies('10.1.0.0/16'))
    assert.isTrue(trust('::ffff:10.1.2.3'))
    assert.isFalse(trust('::ffff:10.2.2.3'))
    const mapped = proxyTrust(parseTrustedProxies('::ffff:10.9.0.0/112'))
    assert.isTrue(mapped('10.9.3.4'))
  })

  test('the words loopback, linklocal and uniquelocal name their ranges', ({ assert }) => {
    const trust = proxyTrust(parseTrustedProxies('loopback,LinkLocal,uniquelocal'))
    for (const address of [
      '127.0.0.1',
      '::1',
      '169.254.1.1',
      'fe80::1',
      '10.2.3.4',
      '172.20.0.1',
      '192.168.0.9',
      'fd00::1',
    ]) {
      assert.isTrue(trust(address), address)
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '2606:4700::1']) {
      assert.isFalse(trust(address), address)
    }
  })

  test('a typo is refused with the entry named, rather than trusting nobody or everybody', ({
    assert,
  }) => {
    for (const value of ['10.0.0.1,lo0pback', '10.0.0.300', '10.1', '10.0.0.0/33', '*']) {
      assert.throws(() => parseTrustedProxies(value), InvalidTrustedProxyError)
    }
    assert.throws(() => parseTrustedProxies('10.0.0.1, lo0pback'), /"lo0pback"/)
  })
})
