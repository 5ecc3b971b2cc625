import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { cliActor, contextFor, findUsableTenant } from '#modules/tenancy/index'
import { addSandboxChannel, addWhatsAppChannel, channelsOf } from '../services/channel_service.js'
import { syncTemplates } from '../services/template_service.js'

abstract class ChannelCommand extends BaseCommand {
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Tenant slug', required: true })
  declare tenant: string

  @flags.boolean({ description: 'Print {"id"} as JSON' })
  declare json: boolean

  protected async tenantOrFail() {
    const tenant = await findUsableTenant(this.tenant)
    if (!tenant) this.fail('tenant_not_found', `No active tenant "${this.tenant}"`)
    return tenant
  }

  protected done(id: string, what: string) {
    if (this.json) this.logger.log(JSON.stringify({ id }))
    else this.logger.success(`${what} added (${id})`)
  }

  protected fail(code: string, message: string): never {
    this.refuse(code, message)
    throw new CommandRefused()
  }

  /** With --json the refusal is a JSON line on stdout, like tenants:create's. */
  protected refuse(code: string, message: string, details: Record<string, unknown> = {}) {
    this.exitCode = 1
    if (this.json) this.logger.log(JSON.stringify({ error: { code, message, ...details } }))
    else this.logger.error(message)
  }

  async run() {
    try {
      await this.add()
    } catch (error) {
      if (error instanceof CommandRefused) return
      const e = error as {
        code?: string
        message: string
        apiDetails?: () => Record<string, unknown>
      }
      if (!e.code || e.code.startsWith('E_') || /^\d/.test(e.code)) throw error
      // A plan limit names itself (limit, allowed, used), as the API's 402 does.
      this.refuse(e.code, e.message, e.apiDetails?.() ?? {})
    }
  }

  protected abstract add(): Promise<void>
}

class CommandRefused extends Error {}

export class ChannelsAddWhatsApp extends ChannelCommand {
  static commandName = 'channels:add-whatsapp'
  static description = 'Connect a WhatsApp Cloud API number to a tenant'

  @flags.string({
    description: "Meta's phone number id (webhooks are routed by it)",
    required: true,
  })
  declare phoneNumberId: string

  @flags.string({ description: 'WhatsApp Business Account id', required: true })
  declare wabaId: string

  @flags.string({
    description: 'The number as customers see it, e.g. +15550001234',
    required: true,
  })
  declare displayNumber: string

  @flags.string({ description: 'Access token (stored encrypted)', required: true })
  declare accessToken: string

  @flags.string({
    description: 'App secret, to verify webhook signatures (stored encrypted)',
    required: true,
  })
  declare appSecret: string

  @flags.string({ description: "Verify token for Meta's webhook handshake", required: true })
  declare verifyToken: string

  @flags.string({ description: 'A name for the channel' })
  declare name?: string

  protected async add() {
    const tenant = await this.tenantOrFail()
    const channel = await addWhatsAppChannel(
      tenant,
      {
        name: this.name,
        phoneNumberId: this.phoneNumberId,
        wabaId: this.wabaId,
        displayNumber: this.displayNumber,
        accessToken: this.accessToken,
        appSecret: this.appSecret,
        verifyToken: this.verifyToken,
      },
      cliActor()
    )
    this.done(channel.id, `WhatsApp number ${channel.displayNumber}`)
  }
}

export class ChannelsAddSandbox extends ChannelCommand {
  static commandName = 'channels:add-sandbox'
  static description = 'Add a sandbox phone to a tenant (try the product with no Meta account)'

  @flags.string({ description: 'A name for the channel' })
  declare name?: string

  protected async add() {
    const tenant = await this.tenantOrFail()
    const channel = await addSandboxChannel(tenant, cliActor(), this.name)
    this.done(channel.id, 'Sandbox phone')
  }
}

export class ChannelsSyncTemplates extends ChannelCommand {
  static commandName = 'channels:sync-templates'
  static description = "Sync a tenant's WhatsApp message templates now"

  @flags.string({ description: 'Only this channel id (default: every active WhatsApp number)' })
  declare channel?: string

  protected async add() {
    const tenant = await this.tenantOrFail()
    const all = await channelsOf(tenant.id)
    const channels = all.filter(
      (c) =>
        c.type === 'whatsapp' && c.status === 'active' && (!this.channel || c.id === this.channel)
    )
    if (!channels.length) this.fail('no_whatsapp_channel', 'No active WhatsApp number to sync')
    const results = []
    for (const channel of channels) {
      const result = await syncTemplates(contextFor(tenant), channel)
      results.push({ channel: channel.id, templates: result.total, changed: result.changed })
      if (!this.json) {
        this.logger.success(
          `${channel.name}: ${result.total} templates, ${result.changed.length} changed`
        )
      }
    }
    if (this.json) this.logger.log(JSON.stringify({ channels: results }))
  }
}
