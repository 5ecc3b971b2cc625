import logger from '@adonisjs/core/services/logger'
import { sendDirectWhatsApp } from '#modules/channels/index'
import { TenantJob } from '#modules/tenancy/index'
import type { TenantContext, TenantJobPayload } from '#modules/tenancy/index'
import { answerMember } from '../services/member_search.js'

interface Payload extends TenantJobPayload {
  channelId: string
  waId: string
  externalId: string
  text: string | null
  choiceId: string | null
  locale: string | null
}

/**
 * Answers a team member's WhatsApp message from the workspace's data (see
 * member_search.ts) on the number they wrote to. One job per message (its
 * id is the wamid): a redelivered message is not answered twice. A send
 * WhatsApp may take again later is retried by the queue.
 */
export default class MemberSearchJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, payload: Payload) {
    const answer = await answerMember({
      tenant,
      text: payload.text ?? '',
      choiceId: payload.choiceId,
      locale: payload.locale,
    })
    const result = await sendDirectWhatsApp(
      tenant.id,
      payload.channelId,
      payload.waId,
      answer.content
    )
    if (!result.ok) {
      logger.warn(
        { tenant: tenant.slug, externalId: payload.externalId, error: result.title },
        'data engine: the answer to a member could not be sent'
      )
      if (result.retryable) throw new Error(`WhatsApp did not take the answer: ${result.title}`)
    }
  }
}
