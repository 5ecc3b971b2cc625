import { test } from '@japa/runner'
import { checkSlug, schemaNameFor } from '#modules/tenancy/index'

test.group('Tenant slugs', () => {
  test('accepts lowercase letters, digits and inner hyphens of 3 to 40 characters', ({
    assert,
  }) => {
    for (const slug of ['abc', 'acme', 'acme-2', 'a1b', 'x'.repeat(40), 'best-brokers-ltd']) {
      assert.isNull(checkSlug(slug), slug)
    }
  })

  test('refuses slugs that are too short, too long or use other characters', ({ assert }) => {
    for (const slug of [
      'ab',
      'x'.repeat(41),
      'Acme',
      'acme_co',
      'acme co',
      '-acme',
      'acme-',
      'écho',
      'acme.io',
    ]) {
      assert.equal(checkSlug(slug)?.code, 'slug_invalid', slug)
    }
  })

  test('refuses reserved words with a message naming the word', ({ assert }) => {
    for (const slug of ['www', 'api', 'admin', 'app', 'static', 'assets', 'webhooks', 'health']) {
      const problem = checkSlug(slug)
      assert.equal(problem?.code, 'slug_reserved', slug)
      assert.include(problem!.message, `"${slug}"`)
    }
  })

  test('maps a slug to tenant_<slug> with hyphens as underscores', ({ assert }) => {
    assert.equal(schemaNameFor('acme'), 'tenant_acme')
    assert.equal(schemaNameFor('best-brokers-ltd'), 'tenant_best_brokers_ltd')
  })
})
