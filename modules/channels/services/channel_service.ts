import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import db from '@adonisjs/lucid/services/db'
import { limitGuard, usageChanged } from '#modules/billing/index'
import { recordAudit, type AuditActor } from '#modules/tenancy/index'
import Channel, { type ChannelSettings } from '../models/channel.js'
import { ChannelError } from './channel_errors.js'

/** The tenant a channel belongs to (billing reads its plan by id). */
export interface TenantRef {
  id: string
  slug: string
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

/** A web chat channel's visitor-facing settings (see ChannelSettings). */
export interface WebchatSettingsInput {
  welcomeMessage?: { en?: string | null; ar?: string | null }
  /** Origins such as https://www.example.com; empty lets any site embed the widget. */
  allowedOrigins?: string[]
  /** `#rrggbb`, or null/empty for the workspace's brand colour. */
  brandColor?: string | null
}

/**
 * The settings a web chat channel keeps: trimmed, empty values dropped, so
 * "not set" is one shape whatever the form sent.
 */
function webchatSettings(base: ChannelSettings, input: WebchatSettingsInput): ChannelSettings {
  const settings: ChannelSettings = { ...base }
  const welcome: { en?: string; ar?: string } = {}
  for (const locale of ['en', 'ar'] as const) {
    const text = input.welcomeMessage?.[locale]?.trim()
    if (text) welcome[locale] = text
  }
  if (Object.keys(welcome).length) settings.welcomeMessage = welcome
  else delete settings.welcomeMessage
  const origins = [...new Set((input.allowedOrigins ?? []).map((origin) => origin.trim()))]
  if (origins.filter(Boolean).length) settings.allowedOrigins = origins.filter(Boolean)
  else delete settings.allowedOrigins
  const color = input.brandColor?.trim().toLowerCase()
  if (color) settings.brandColor = color
  else delete settings.brandColor
  return settings
}

/**
 * A chat widget for the tenant's website. It counts against the plan like a
 * WhatsApp number: it is a real way customers reach the business.
 */
export async function addWebchatChannel(
  tenant: TenantRef,
  input: { name: string } & WebchatSettingsInput,
  actor: AuditActor
): Promise<Channel> {
  return createChannel(tenant, actor, (channel) => {
    channel.merge({
      type: 'webchat',
      name: input.name.trim(),
      settings: webchatSettings({}, input),
    })
  })
}

/** Changes a web chat channel's name, welcome message, allowed sites and colour. */
export async function updateWebchatChannel(
  tenant: TenantRef,
  channelId: string,
  input: { name: string } & WebchatSettingsInput,
  actor: AuditActor
): Promise<Channel> {
  let changed: string[] = []
  return changeChannel(
    tenant,
    channelId,
    (channel) => {
      if (channel.type !== 'webchat') {
        throw new ChannelError('not_webchat', 'Only web chat channels have these settings')
      }
      const before = JSON.stringify(channel.settings ?? {})
      channel.name = input.name.trim()
      channel.settings = webchatSettings(channel.settings ?? {}, input)
      changed = Object.keys(channel.$dirty).filter((key) => key !== 'settings')
      if (JSON.stringify(channel.settings) !== before) changed.push('settings')
    },
    () => (changed.length ? { action: 'channel.updated', metadata: { changed } } : null),
    actor
  )
}

async function createChannel(
  tenant: TenantRef,
  actor: AuditActor,
  describe: (channel: Channel) => void
): Promise<Channel> {
  const channels = await limitGuard(tenant.id, 'channels')
  const created = await db.transaction(async (trx) => {
    // Serialises channel creation per tenant so two requests cannot both pass the limit.
    await trx.rawQuery('select id from tenants where id = ? for update', [tenant.id])
    const channel = new Channel()
    describe(channel)
    // The sandbox is a trial tool; only real channels count against the plan.
    if (channel.type !== 'sandbox') await channels.ensure({ client: trx })
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
  if (created.type !== 'sandbox') await usageChanged(tenant.id, 'channels')
  return created
}

/** Billing's channel meter: connected channels, the sandbox aside. */
export async function channelsInUse(tenantId: string, client?: TransactionClientContract) {
  const row = await (client ?? db)
    .from('channels')
    .where('tenant_id', tenantId)
    .whereNot('type', 'sandbox')
    .count('* as total')
    .first()
  return Number(row?.total ?? 0)
}

/** A tenant's channels, oldest first. */
/** Whether customers can reach the workspace for real: WhatsApp or web chat (getting started). */
export async function hasCustomerChannel(tenantId: string) {
  const channels = await channelsOf(tenantId)
  return channels.some((channel) => channel.type === 'whatsapp' || channel.type === 'webchat')
}

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

/** The changes a workspace makes to a channel after it is connected. */
export interface ChannelUpdate {
  name: string
  /** WhatsApp only: the number as customers see it, E.164. */
  displayNumber?: string | null
  messagesPerSecond?: number | null
  optOutWords?: string[]
  /** WhatsApp only: the Meta app of the access token (template header samples go to it). */
  metaAppId?: string | null
}

export interface ChannelSecrets {
  accessToken?: string | null
  appSecret?: string | null
  verifyToken?: string | null
}

function channelNotFound() {
  return new ChannelError('channel_not_found', 'No such channel in this workspace', 404)
}

/**
 * Loads one of the tenant's channels for a change, locked so concurrent
 * changes apply one after the other, and records the change in the same
 * transaction.
 */
/**
 * The tenant's channel, row-locked for the rest of the transaction; another
 * tenant's channel, or no channel, is not found.
 */
async function lockTenantChannel(
  trx: TransactionClientContract,
  tenant: TenantRef,
  channelId: string
) {
  const channel = await Channel.query({ client: trx })
    .where('tenant_id', tenant.id)
    .where('id', channelId)
    .forUpdate()
    .first()
  if (!channel) throw channelNotFound()
  return channel
}

async function changeChannel<T>(
  tenant: TenantRef,
  channelId: string,
  change: (channel: Channel) => T | Promise<T>,
  audit: (channel: Channel) => { action: string; metadata: Record<string, unknown> } | null,
  actor: AuditActor
): Promise<Channel> {
  if (!/^[0-9a-f-]{36}$/i.test(channelId)) throw channelNotFound()
  return db.transaction(async (trx) => {
    const channel = await lockTenantChannel(trx, tenant, channelId)
    await change(channel)
    const entry = audit(channel)
    await channel.save()
    if (entry) {
      await recordAudit(
        actor,
        { ...entry, tenant, subjectType: 'channel', subjectId: channel.id },
        trx
      )
    }
    return channel
  })
}

/** Renames a channel, changes its display number (WhatsApp) and its sending settings. */
export async function updateChannel(
  tenant: TenantRef,
  channelId: string,
  input: ChannelUpdate,
  actor: AuditActor
): Promise<Channel> {
  let changed: string[] = []
  return changeChannel(
    tenant,
    channelId,
    (channel) => {
      const settings: ChannelSettings = { ...channel.settings }
      if (input.messagesPerSecond) settings.messagesPerSecond = input.messagesPerSecond
      else delete settings.messagesPerSecond
      if (input.optOutWords?.length) settings.optOutWords = input.optOutWords
      else delete settings.optOutWords
      channel.name = input.name.trim()
      if (channel.type === 'whatsapp' && input.displayNumber) {
        channel.displayNumber = input.displayNumber.trim()
      }
      if (channel.type === 'whatsapp' && input.metaAppId) settings.metaAppId = input.metaAppId
      else delete settings.metaAppId
      channel.settings = settings
      changed = Object.keys(channel.$dirty)
    },
    () => (changed.length ? { action: 'channel.updated', metadata: { changed } } : null),
    actor
  )
}

/**
 * Replaces a WhatsApp channel's credentials; the ones not given are kept.
 * The audit log names what changed, never the values.
 */
export async function rotateChannelSecrets(
  tenant: TenantRef,
  channelId: string,
  secrets: ChannelSecrets,
  actor: AuditActor
): Promise<{ channel: Channel; rotated: string[] }> {
  const rotated: string[] = []
  const channel = await changeChannel(
    tenant,
    channelId,
    (target) => {
      if (target.type !== 'whatsapp') {
        throw new ChannelError('no_secrets', 'Only WhatsApp channels have credentials')
      }
      if (secrets.accessToken) {
        target.accessToken = secrets.accessToken
        rotated.push('access_token')
      }
      if (secrets.appSecret) {
        target.appSecret = secrets.appSecret
        rotated.push('app_secret')
      }
      if (secrets.verifyToken) {
        target.verifyToken = secrets.verifyToken
        rotated.push('verify_token')
      }
    },
    () => (rotated.length ? { action: 'channel.secrets_rotated', metadata: { rotated } } : null),
    actor
  )
  return { channel, rotated }
}

/**
 * Turns a channel off or on. A disabled channel keeps its conversations and
 * its number (no other workspace can take it) but neither receives nor sends.
 */
export async function setChannelStatus(
  tenant: TenantRef,
  channelId: string,
  status: 'active' | 'disabled',
  actor: AuditActor
): Promise<Channel> {
  let before: string | null = null
  return changeChannel(
    tenant,
    channelId,
    (channel) => {
      before = channel.status
      channel.status = status
    },
    () =>
      before === status
        ? null
        : { action: status === 'disabled' ? 'channel.disabled' : 'channel.enabled', metadata: {} },
    actor
  )
}

/** Round-robin assignment of a channel's new conversations, and assign-on-reply. */
export interface ChannelAssignment {
  autoAssign: boolean
  /** Left as it is when not given. */
  assignOnReply?: boolean
}

/** Turns a channel's round-robin assignment (and assign-on-reply) on or off, audited. */
export async function setChannelAssignment(
  tenant: TenantRef,
  channelId: string,
  assignment: ChannelAssignment,
  actor: AuditActor
): Promise<Channel> {
  return changeChannel(
    tenant,
    channelId,
    (channel) => {
      const changes: Partial<ChannelSettings> = { autoAssign: assignment.autoAssign }
      if (assignment.assignOnReply !== undefined) changes.assignOnReply = assignment.assignOnReply
      channel.settings = { ...channel.settings, ...changes }
    },
    (channel) => ({
      action: assignment.autoAssign ? 'channel.auto_assign_on' : 'channel.auto_assign_off',
      metadata: { name: channel.name },
    }),
    actor
  )
}

/**
 * Removes a channel and frees its number. Conversations held in the
 * tenant's schema stay as history.
 */
export async function removeChannel(
  tenant: TenantRef,
  channelId: string,
  actor: AuditActor
): Promise<Channel> {
  if (!/^[0-9a-f-]{36}$/i.test(channelId)) throw channelNotFound()
  return db.transaction(async (trx) => {
    const channel = await lockTenantChannel(trx, tenant, channelId)
    await channel.delete()
    await recordAudit(
      actor,
      {
        action: 'channel.deleted',
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
