import { recordKeywordConsent, contactIn } from '#modules/inbox/index'
import { findTenantChannel } from './channel_service.js'
import { translatorFor } from '#modules/identity/index'
import type { TenantContext } from '#modules/tenancy/index'
import Message from '../models/message.js'
import { queueOutboundMessage } from './outbound_service.js'

/**
 * Whole-message keywords, English and Arabic. Deliberately not "cancel" or
 * "end": a broker's client writing "Cancel" usually means a policy, not the
 * conversation. A channel can replace the opt-out list (settings.optOutWords).
 */
export const DEFAULT_OPT_OUT_WORDS = [
  'stop',
  'stop all',
  'unsubscribe',
  'opt out',
  'optout',
  'توقف',
  'ايقاف',
  'الغاء الاشتراك',
  'اوقف الرسائل',
]
export const OPT_IN_WORDS = ['start', 'subscribe', 'unstop', 'ابدا', 'اشتراك']

/**
 * Case, punctuation, Arabic hamza forms and diacritics do not matter:
 * "Stop!", "STOP" and "stop." are one word; "إلغاء" and "الغاء" too.
 */
export function normalizeKeyword(text: string) {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u064B-\u065F\u0670\u0640]/g, '')
    .replace(/[أإآ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * Keywords are whole messages a customer sends alone ("STOP"), so each is
 * short once normalized. The cap lets the worker skip longer messages
 * without reading them for keywords (see registerChannelsListeners).
 */
export const MAX_KEYWORD_LENGTH = 60

/** Whether a message's text is short enough to be a keyword at all. */
export function mayBeKeyword(text: string | null | undefined) {
  return !!text && normalizeKeyword(text).length <= MAX_KEYWORD_LENGTH
}

const isArabic = (text: string) => /[\u0600-\u06FF]/.test(text)

export type KeywordOutcome = 'opted_out' | 'opted_in' | null

/**
 * Reads an inbound message for opt-out and opt-in keywords. Opting out is
 * recorded and confirmed once, in the language the customer wrote in; a
 * second STOP changes nothing and sends nothing. START brings an opted-out
 * contact back. Safe to run twice for one message.
 */
export async function applyKeywords(
  tenant: TenantContext,
  messageId: string
): Promise<KeywordOutcome> {
  const found = await tenant.transaction(async (trx) => {
    const message = await Message.query({ client: trx }).where('id', messageId).first()
    if (!message || message.direction !== 'inbound' || !message.body) return null
    const contact = await contactIn(trx, message.contactId)
    return contact ? { message, contact } : null
  })
  if (!found) return null
  const { message, contact } = found

  const channel = await findTenantChannel(tenant.id, message.channelId)
  const said = normalizeKeyword(message.body!)
  const optOutWords = (channel?.settings.optOutWords ?? DEFAULT_OPT_OUT_WORDS).map(normalizeKeyword)
  const outcome: KeywordOutcome = optOutWords.includes(said)
    ? 'opted_out'
    : OPT_IN_WORDS.map(normalizeKeyword).includes(said)
      ? 'opted_in'
      : null
  if (!outcome) return null

  const changed = await recordKeywordConsent(tenant, contact.id, outcome)
  if (!changed) return null

  const t = translatorFor(isArabic(message.body!) ? 'ar' : 'en')
  await queueOutboundMessage(tenant, {
    conversationId: message.conversationId,
    content: {
      type: 'text',
      text: t(
        outcome === 'opted_out'
          ? 'messaging.opted_out_confirmation'
          : 'messaging.opted_in_confirmation'
      ),
    },
    authorType: 'system',
    // One confirmation per keyword message, however often this runs.
    idempotencyKey: `keyword-reply:${message.id}`,
  })
  return outcome
}
