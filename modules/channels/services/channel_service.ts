import db from '@adonisjs/lucid/services/db'
import { planLimitsFor } from '#modules/billing/index'
import { recordAudit, type AuditActor } from '#modules/tenancy/index'
import Channel, { type ChannelSettings } from '../models/channel.js'
import { ChannelError } from './channel_errors.js'

export interface TenantRef {
  id: string
  slug: string
  planId: string | null
}

export interface WhatsAppChannelInput {
  name?: string
  phoneNumberId: string
  wabaId: string
  displayNumber: string
  accessToken: string
  appSecret: string
  verifyToken: string
  settings?: ChannelSettings
}

/**
 * Connects a WhatsApp Cloud API number to a tenant. A phone_number_id
 * belongs to one tenant only: webhooks are routed by it.
 */
export async function addWhatsAppChannel(
  tenant: TenantRef,
  input: WhatsAppChannelInput,
  actor: AuditActor
): Promise<Channel> {
  const phoneNumberId = input.phoneNumberId.trim()
  if (!/^\d{1,64}$/.test(phoneNumberId)) {
    throw new ChannelError(
      'invalid_phone_number_id',
      'The phone number id is the digits Meta shows for the number'
    )
  }
  const taken = await Channel.findBy('phone_number_id', phoneNumberId)
  if (taken) {
    throw new ChannelError(
      'phone_number_taken',
      'This WhatsApp number is already connected to a workspace',
      409
    )
  }
  return createChannel(tenant, actor, (channel) => {
    channel.merge({
      type: 'whatsapp',
      name: input.name?.trim() || `WhatsApp ${input.displayNumber}`,
      phoneNumberId,
      wabaId: input.wabaId.trim(),
      displayNumber: input.displayNumber.trim(),
      verifyToken: input.verifyToken,
      settings: input.settings ?? {},
    })
    channel.accessToken = input.accessToken
    channel.appSecret = input.appSecret
  })
}

/**
 * A simulated phone inside the workspace: inbound messages go through the
 * same pipeline as WhatsApp's, replies are shown instead of sent. A trial
 * tool, so it does not count against the plan, and a tenant has one: asking
 * again returns it.
 */
export async function addSandboxChannel(
  tenant: TenantRef,
  actor: AuditActor,
  name = 'Sandbox phone'
): Promise<Channel> {
  const existing = await Channel.query()
    .where('tenant_id', tenant.id)
    .where('type', 'sandbox')
    .first()
  if (existing) return existing
  return createChannel(tenant, actor, (channel) => {
    channel.merge({ type: 'sandbox', name, settings: {} })
  })
}

async function createChannel(
  tenant: TenantRef,
  actor: AuditActor,
  describe: (channel: Channel) => void
): Promise<Channel> {
  const { channels: limit } = await planLimitsFor(tenant.planId)
  return db.transaction(async (trx) => {
    // Serialises channel creation per tenant so two requests cannot both pass the limit.
    await trx.rawQuery('select id from tenants where id = ? for update', [tenant.id])
    const channel = new Channel()
    describe(channel)
    // The sandbox is a trial tool; only real channels count against the plan.
    if (limit !== null && channel.type !== 'sandbox') {
      const [{ total }] = await trx
        .from('channels')
        .where('tenant_id', tenant.id)
        .whereNot('type', 'sandbox')
        .count('* as total')
      if (Number(total) >= limit) {
        throw new ChannelError(
          'plan_limit_reached',
          `Your plan allows ${limit} channel${limit === 1 ? '' : 's'}; remove one or change plan`,
          403
        )
      }
    }
    channel.tenantId = tenant.id
    channel.status = 'active'
    channel.useTransaction(trx)
    try {
      await channel.save()
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ChannelError(
          'phone_number_taken',
          'This WhatsApp number is already connected to a workspace',
          409
        )
      }
      throw error
    }
    await recordAudit(
      actor,
      {
        action: 'channel.created',
        tenant,
        subjectType: 'channel',
        subjectId: channel.id,
        metadata: { type: channel.type, name: channel.name, phoneNumberId: channel.phoneNumberId },
      },
      trx
    )
    return channel
  })
}

/** A tenant's channels, oldest first. */
export function channelsOf(tenantId: string) {
  return Channel.query().where('tenant_id', tenantId).orderBy('created_at')
}

/** One of the tenant's channels, or null (another tenant's channel is not found). */
export function findTenantChannel(tenantId: string, channelId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(channelId)) return Promise.resolve(null)
  return Channel.query().where('tenant_id', tenantId).where('id', channelId).first()
}

/** The active WhatsApp channel a webhook's phone_number_id routes to. */
export function findWhatsAppChannel(phoneNumberId: string) {
  return Channel.query().where('phone_number_id', phoneNumberId).where('type', 'whatsapp').first()
}
