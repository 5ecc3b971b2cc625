import { findLiveTenantBySlug, ProgressBar, contextFor } from '#modules/tenancy/index'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { currentEmbedder } from '../services/embedder.js'
import { reembedTenant } from '../services/reembed.js'

/**
 * Re-embeds a tenant's knowledge with the configured embedder, after
 * AI_EMBED_MODEL (or AI_BASE_URL) changed. Searches keep working on the old
 * vectors until the new ones are swapped in at the end.
 */
export default class BrainReembed extends BaseCommand {
  static commandName = 'brain:reembed'
  static description = "Re-embed a tenant's knowledge chunks with the configured embedding model"
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Tenant slug', required: true })
  declare tenant: string

  @flags.boolean({ description: 'Print the result as JSON' })
  declare json: boolean

  async run() {
    const tenant = await findLiveTenantBySlug(this.tenant)
    if (!tenant) {
      this.logger.error(`No tenant has the slug "${this.tenant}"`)
      this.exitCode = 1
      return
    }
    const embedder = currentEmbedder()
    if (!this.json) this.logger.info(`Re-embedding ${tenant.slug} with ${embedder.model}`)

    let bar: ProgressBar | null = null
    let shown = 0
    const result = await reembedTenant(contextFor(tenant), {
      embedder,
      onProgress: (done, total) => {
        bar ??= new ProgressBar(total, 'chunks')
        for (; shown < Math.min(done, total); shown++) bar.tick()
      },
    })
    ;(bar as ProgressBar | null)?.finish()

    if (this.json) {
      this.logger.log(JSON.stringify(result))
      return
    }
    const size =
      result.previousDimensions === result.dimensions
        ? `${result.dimensions} dimensions`
        : `${result.previousDimensions} → ${result.dimensions} dimensions`
    this.logger.success(
      `${result.chunks} chunks re-embedded with ${result.model} (${size}, was ${result.previousModel ?? 'none'})`
    )
  }
}
