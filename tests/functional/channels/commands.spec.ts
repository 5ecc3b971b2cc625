import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { Channel } from '#modules/channels/index'
import { runAce, runCommand } from '#tests/helpers/ace'
import { makeTenant, uniqueSlug } from '#tests/helpers/tenants'

function freshPhoneNumberId() {
  return `${Date.now()}${randomBytes(3).readUIntBE(0, 3)}`
}

function addWhatsApp(tenant: string, phoneNumberId: string, secrets = secretPair()) {
  return runCommand([
    'channels:add-whatsapp',
    '--tenant',
    tenant,
    '--phone-number-id',
    phoneNumberId,
    '--waba-id',
    '5678',
    '--display-number',
    '+15550001234',
    '--access-token',
    secrets.accessToken,
    '--app-secret',
    secrets.appSecret,
    '--verify-token',
    'verify-token-cli',
    '--json',
  ])
}

function secretPair() {
  return {
    accessToken: `EAAG-cli-${randomBytes(10).toString('hex')}`,
    appSecret: `secret-cli-${randomBytes(10).toString('hex')}`,
  }
}

/**
 * The JSON a refusing command printed: one line of it on stdout, as
 * tenants:create does, so a script can parse it as is.
 */
function printed(result: { stdout: string }) {
  const line = result.stdout.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line)
}

test.group('Channel commands', () => {
  test('channels:add-whatsapp prints {"id"} and stores the secrets encrypted', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('cli-chan')
    cleanup(remove)
    const secrets = secretPair()
    const phoneNumberId = freshPhoneNumberId()
    const result = await addWhatsApp(tenant.slug, phoneNumberId, secrets)
    assert.equal(result.code, 0, `${result.stderr} ${result.stdout}`)
    const output = JSON.parse(result.stdout.trim())
    assert.deepEqual(Object.keys(output), ['id'])

    const channel = await Channel.findOrFail(output.id)
    assert.equal(channel.tenantId, tenant.id)
    assert.equal(channel.type, 'whatsapp')
    assert.equal(channel.phoneNumberId, phoneNumberId)
    assert.equal(channel.accessToken, secrets.accessToken)
    assert.equal(channel.appSecret, secrets.appSecret)
    const raw = await db.from('channels').where('id', output.id).first()
    const rawText = JSON.stringify(raw)
    assert.notInclude(rawText, secrets.accessToken)
    assert.notInclude(rawText, secrets.appSecret)
    assert.notInclude(result.stdout + result.stderr, secrets.appSecret)

    const audit = await db
      .from('audit_logs')
      .where('action', 'channel.created')
      .where('subject_id', output.id)
      .firstOrFail()
    assert.match(audit.actor_label, /^cli:/)
  }).timeout(120_000)

  test('a phone number id already connected exits non-zero with the reason', async ({
    assert,
    cleanup,
  }) => {
    const first = await makeTenant('cli-dup-a')
    const second = await makeTenant('cli-dup-b')
    cleanup(first.cleanup)
    cleanup(second.cleanup)
    const phoneNumberId = freshPhoneNumberId()
    assert.equal((await addWhatsApp(first.tenant.slug, phoneNumberId)).code, 0)

    for (const slug of [second.tenant.slug, first.tenant.slug]) {
      const refused = await addWhatsApp(slug, phoneNumberId)
      assert.notEqual(refused.code, 0, slug)
      assert.equal(printed(refused)?.error?.code, 'phone_number_taken', slug)
    }
    assert.lengthOf(await Channel.query().where('phone_number_id', phoneNumberId), 1)
  }).timeout(120_000)

  test('an unknown tenant exits non-zero and adds nothing', async ({ assert }) => {
    const slug = uniqueSlug('nobody')
    const refused = await addWhatsApp(slug, freshPhoneNumberId())
    assert.notEqual(refused.code, 0)
    assert.equal(printed(refused)?.error?.code, 'tenant_not_found')
    const sandbox = await runCommand(['channels:add-sandbox', '--tenant', slug, '--json'])
    assert.notEqual(sandbox.code, 0)
    assert.equal(printed(sandbox)?.error?.code, 'tenant_not_found')
  }).timeout(120_000)

  test('channels:add-sandbox twice returns the same id', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('cli-sandbox')
    cleanup(remove)
    const first = await runAce(['channels:add-sandbox', '--tenant', tenant.slug, '--json'])
    assert.equal(first.code, 0, first.stderr + first.stdout)
    const second = await runCommand(['channels:add-sandbox', '--tenant', tenant.slug, '--json'])
    assert.equal(second.code, 0, second.stderr + second.stdout)
    const { id } = JSON.parse(first.stdout.trim())
    assert.deepEqual(JSON.parse(second.stdout.trim()), { id })
    const channels = await Channel.query().where('tenant_id', tenant.id)
    assert.deepEqual(
      channels.map((channel) => [channel.id, channel.type]),
      [[id, 'sandbox']]
    )
  }).timeout(120_000)
})
