import { randomBytes, randomInt } from 'node:crypto'
import { addWhatsAppChannel } from '#modules/channels/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeKey } from './api_client.js'

export { customer } from '#tests/helpers/whatsapp'

/*
| What the API specs start from: a tenant with a WhatsApp number and a key,
| customers who wrote some hours ago, and approved templates, written
| straight to the tenant's tables as the inbound pipeline and the template
| sync would have left them.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

/** The access token the numbers of these tenants use; the fake Graph API accepts only it. */
export const GRAPH_TOKEN = `token-${randomBytes(6).toString('hex')}`

export async function apiTenant(cleanup: Cleanup, prefix = 'api') {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const channel = await addWhatsAppChannel(
    made.tenant,
    {
      phoneNumberId: `1${randomInt(1e9, 9e9)}${randomInt(1e4, 9e4)}`,
      wabaId: `2${randomInt(1e9, 9e9)}`,
      displayNumber: '+15550001234',
      accessToken: GRAPH_TOKEN,
      appSecret: randomBytes(16).toString('hex'),
      verifyToken: `verify-${randomBytes(6).toString('hex')}`,
    },
    systemActor
  )
  const { token } = await makeKey(made.tenant)
  return { ...made, channel, token }
}

/** An APPROVED template of the channel whose body takes `variables` variables. */
export async function approvedTemplate(
  context: TenantContext,
  channelId: string,
  options: { name?: string; language?: string; variables?: number; status?: string } = {}
) {
  const variables = options.variables ?? 1
  const name = options.name ?? 'renewal_reminder'
  const language = options.language ?? 'en_US'
  const text = `Hello ${Array.from({ length: variables }, (_, i) => `{{${i + 1}}}`).join(' ')}`
  await context.transaction((trx) =>
    trx.table('message_templates').insert({
      channel_id: channelId,
      provider_id: String(randomInt(1e9, 9e9)),
      name,
      language,
      category: 'UTILITY',
      status: options.status ?? 'APPROVED',
      components: JSON.stringify([{ type: 'BODY', text }]),
      body_variables: variables,
      synced_at: new Date(),
    })
  )
  return { name, language }
}
