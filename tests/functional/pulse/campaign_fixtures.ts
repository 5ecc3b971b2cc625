import { randomBytes, randomInt } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { addWhatsAppChannel, MessageTemplate, type ChannelSettings } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { campaignStats, Campaign, type CampaignStats } from '#modules/pulse/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { defineContactFields } from '#tests/helpers/contact_fields'

/** A tenant with a WhatsApp number and an approved marketing template "spring_offer" ({{1}}, {{2}}). */
export async function campaignTenant(
  cleanup: (fn: () => Promise<void>) => void,
  settings: ChannelSettings = {},
  prefix = 'cmp'
) {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const phoneNumberId = `1${randomInt(1e9, 9e9)}${randomInt(1e4, 9e4)}`
  const wabaId = `2${randomInt(1e9, 9e9)}`
  const appSecret = randomBytes(8).toString('hex')
  const channel = await addWhatsAppChannel(
    made.tenant,
    {
      phoneNumberId,
      wabaId,
      displayNumber: '+15550001234',
      accessToken: 'test-access-token',
      appSecret,
      verifyToken: 'verify',
      settings,
    },
    systemActor
  )
  await defineContactFields(made.context, [{ key: 'area' }, { key: 'city' }])
  await made.context.transaction((trx) =>
    MessageTemplate.createMany(
      [
        {
          channelId: channel.id,
          providerId: String(randomInt(1e6, 9e6)),
          name: 'spring_offer',
          language: 'en',
          category: 'MARKETING',
          status: 'APPROVED',
          bodyVariables: 2,
          components: [{ type: 'BODY', text: 'Hello {{1}}, new towers in {{2}}!' }],
        },
        {
          channelId: channel.id,
          providerId: String(randomInt(1e6, 9e6)),
          name: 'policy_notice',
          language: 'en',
          category: 'UTILITY',
          status: 'APPROVED',
          bodyVariables: 1,
          components: [{ type: 'BODY', text: 'Dear {{1}}, your policy changed.' }],
        },
      ],
      { client: trx }
    )
  )
  return { ...made, channel, phoneNumberId, wabaId, appSecret }
}

let phoneSequence = randomInt(1_000_000, 8_000_000)

/** A contact with a unique number (and optionally a labelled conversation on the channel). */
export async function contact(
  context: TenantContext,
  details: Partial<Contact> & { label?: string; channelId?: string } = {}
) {
  const { label, channelId, ...rest } = details
  const phone = `+97150${++phoneSequence}`
  return context.transaction(async (trx) => {
    const row = await Contact.create(
      {
        name: 'Layla',
        phone,
        marketingConsent: 'opted_in',
        attributes: {},
        ...rest,
      },
      { client: trx }
    )
    if (label && channelId) {
      await Conversation.create(
        { contactId: row.id, channelId, status: 'open', labels: [label] },
        { client: trx }
      )
    }
    return row
  })
}

/** Polls the funnel until `done` says so (or fails after the timeout, showing the last counts). */
export async function waitForStats(
  context: TenantContext,
  campaignId: string,
  done: (stats: CampaignStats, campaign: Campaign) => boolean,
  timeoutMs = 20_000
) {
  const deadline = Date.now() + timeoutMs
  let stats: CampaignStats | null = null
  while (Date.now() < deadline) {
    stats = await campaignStats(context, campaignId)
    const campaign = await context.transaction((trx) =>
      Campaign.query({ client: trx }).where('id', campaignId).firstOrFail()
    )
    if (done(stats, campaign)) return { stats, campaign }
    await sleep(100)
  }
  throw new Error(`campaign ${campaignId} never got there: ${JSON.stringify(stats)}`)
}

export async function recipientsOf(context: TenantContext, campaignId: string) {
  return context.transaction(
    async (trx) =>
      (
        await trx.rawQuery(`select * from campaign_recipients where campaign_id = ? order by id`, [
          campaignId,
        ])
      ).rows as Array<Record<string, any>>
  )
}
