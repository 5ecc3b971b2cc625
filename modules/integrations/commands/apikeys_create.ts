import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { cliActor, findUsableTenant } from '#modules/tenancy/index'
import { createApiKey } from '../services/api_key_service.js'
import { ALL_SCOPES, parseScopeList } from '#app/http/api/index'

/**
 * `node ace apikeys:create --tenant acme --name zapier --json` prints
 * {"id","token"}: how scripts and operators give an integration its key.
 * Without --scopes the key gets every scope.
 */
export class ApiKeysCreate extends BaseCommand {
  static commandName = 'apikeys:create'
  static description = 'Create a REST API key for a tenant and print its token (shown only once)'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Tenant slug', required: true })
  declare tenant: string

  @flags.string({ description: 'What the key is for, e.g. zapier', required: true })
  declare name: string

  @flags.string({
    description: `Comma-separated scopes (${ALL_SCOPES.slice(0, 2).join(', ')}, …) or "all"; default all`,
  })
  declare scopes?: string

  @flags.number({ description: 'Days until the key expires; default never' })
  declare expiresInDays?: number

  @flags.boolean({ description: 'Print {"id","token"} as JSON' })
  declare json: boolean

  async run() {
    const name = this.name?.trim()
    if (!name || name.length > 120) {
      return this.refuse('invalid_name', 'The name is 1 to 120 characters')
    }
    const { scopes, unknown } = parseScopeList(this.scopes ?? 'all')
    if (unknown.length) {
      return this.refuse('invalid_scopes', `Unknown scopes: ${unknown.join(', ')}`)
    }
    if (!scopes.length) return this.refuse('invalid_scopes', 'Give at least one scope')
    const days = this.expiresInDays
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
      return this.refuse('invalid_expiry', '--expires-in-days is a whole number from 1 to 3650')
    }
    const tenant = await findUsableTenant(this.tenant)
    if (!tenant) return this.refuse('tenant_not_found', `No active tenant "${this.tenant}"`)

    const { key, token } = await createApiKey(
      tenant,
      { name, scopes, expiresInDays: days ?? null },
      cliActor()
    )
    if (this.json) {
      this.logger.log(JSON.stringify({ id: key.id, token }))
    } else {
      this.logger.success(`API key "${key.name}" created (${key.id})`)
      this.logger.log(token)
      this.logger.info('This token is shown only once.')
    }
  }

  /** With --json the refusal is a JSON line on stdout, like the other commands'. */
  private refuse(code: string, message: string) {
    this.exitCode = 1
    if (this.json) this.logger.log(JSON.stringify({ error: { code, message } }))
    else this.logger.error(message)
  }
}
