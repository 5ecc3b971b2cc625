import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { provisionTenant } from '../services/provisioning_service.js'
import { cliActor } from '../services/audit_log_service.js'

export default class TenantsCreate extends BaseCommand {
  static commandName = 'tenants:create'
  static description = 'Provision a tenant: its schema, migrations and owner'
  static options: CommandOptions = { startApp: true }

  @flags.string({
    description: 'URL slug: a-z, 0-9 and hyphens, 3 to 40 characters',
    required: true,
  })
  declare slug: string

  @flags.string({ description: 'Display name', required: true })
  declare name: string

  @flags.string({ description: "Owner's e-mail (created if new)" })
  declare ownerEmail?: string

  @flags.string({ description: "Owner's password, for a new account" })
  declare ownerPassword?: string

  @flags.string({ description: "Owner's name" })
  declare ownerName?: string

  @flags.boolean({ description: 'Print {"id","slug","schema"} as JSON' })
  declare json: boolean

  async run() {
    if (this.ownerEmail && !this.ownerPassword) {
      return this.fail('owner_password_required', '--owner-password is required with --owner-email')
    }
    try {
      const tenant = await provisionTenant(
        {
          slug: this.slug,
          name: this.name,
          owner: this.ownerEmail
            ? { email: this.ownerEmail, password: this.ownerPassword!, name: this.ownerName }
            : undefined,
        },
        cliActor(),
        (step) => {
          if (!this.json) this.logger.info(`provisioning: ${step}`)
        }
      )
      const result = { id: tenant.id, slug: tenant.slug, schema: tenant.schemaName }
      if (this.json) {
        this.logger.log(JSON.stringify(result))
      } else {
        this.logger.success(`Tenant "${tenant.slug}" is ready (schema ${tenant.schemaName})`)
      }
    } catch (error) {
      const e = error as { code?: string; message: string }
      if (!e.code || e.code.startsWith('E_') || /^\d/.test(e.code)) throw error
      return this.fail(e.code, e.message)
    }
  }

  fail(code: string, message: string) {
    this.exitCode = 1
    if (this.json) {
      this.logger.log(JSON.stringify({ error: { code, message } }))
    } else {
      this.logger.error(message)
    }
  }
}
