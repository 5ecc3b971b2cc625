import logger from '@adonisjs/core/services/logger'
import { contextFor, tenantsInStatus } from '#modules/tenancy/index'
import { currentEmbedder } from './embedder.js'
import { readBrainSettings } from './embedding_space.js'
import { reembedTenant } from './reembed.js'

/*
| The local embedder's vectors change when its lexicon or tokenizer does
| (its model name says which: local-lexical-vN). A tenant embedded by an
| earlier version searches on full text alone until it is re-embedded
| (embedding_space.ts); with the local embedder that costs nothing but a
| little CPU, so workers do it on their own after an upgrade instead of
| waiting for someone to run `brain:reembed` for every tenant. A remote
| model's vectors (a paid API) are only ever changed by an operator.
*/

const LOCAL = /^local-lexical-/

export interface LocalUpgrade {
  tenant: string
  previousModel: string
  model: string
  chunks: number
}

/** Re-embeds, one tenant after another, every live tenant whose vectors an earlier local embedder made. */
export async function upgradeLocalEmbeddings(): Promise<LocalUpgrade[]> {
  const embedder = currentEmbedder()
  if (embedder.kind !== 'local') return []
  const upgraded: LocalUpgrade[] = []
  for (const tenant of await tenantsInStatus(['active', 'suspended'])) {
    const context = contextFor(tenant)
    let previous: string | null
    let result: Awaited<ReturnType<typeof reembedTenant>>
    try {
      const settings = await context.transaction((trx) => readBrainSettings(trx))
      previous = settings.embedModel
      if (!previous || !LOCAL.test(previous) || previous === embedder.model) continue
      result = await reembedTenant(context, { embedder })
    } catch (error) {
      // One tenant's trouble (its schema being removed, say) does not hold up the others.
      logger.error({ err: error, tenant: tenant.slug }, 'brain: local re-embedding failed')
      continue
    }
    logger.info(
      { tenant: tenant.slug, from: previous, to: result.model, chunks: result.chunks },
      'brain: knowledge re-embedded after a local embedder upgrade'
    )
    upgraded.push({
      tenant: tenant.slug,
      previousModel: previous,
      model: result.model,
      chunks: result.chunks,
    })
  }
  return upgraded
}
