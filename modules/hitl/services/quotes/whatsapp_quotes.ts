import drive from '@adonisjs/drive/services/main'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { dispatchTenantJob, systemActor, type TenantContext } from '#modules/tenancy/index'
import { inboundPdfsOf, storedMediaOf, type MediaStoredEvent } from '#modules/channels/index'
import { contactById } from '#modules/inbox/index'
import { hitlSettings } from '../settings.js'
import { MAX_QUOTES, MIN_QUOTES, type QuoteFile } from './quote_analyzer.js'
import { startQuoteRun } from './quote_runs.js'

/*
| Customers' quote PDFs on WhatsApp start the quote analyzer, when the
| workspace turned it on. A customer sends their quotes one message each:
| every stored PDF queues a check a little later (SETTLE_MS); the check made
| for the newest PDF of the conversation takes that PDF and the ones before
| it within WINDOW_MS that no run has taken yet, and, if there are at least
| two, starts one run for them. The run's source is the newest PDF's
| message, so the same PDFs heard twice are one run.
*/

export const WHATSAPP_QUOTES = {
  /** How long after a PDF is stored its check runs (more may follow). */
  settleMs: 60_000,
  /** How far back a customer's PDFs count as one batch. */
  windowMs: 15 * 60_000,
}

function isPdf(mimeType: string) {
  return mimeType.toLowerCase().startsWith('application/pdf')
}

/** The listener's part: a stored PDF from a workspace that wants it queues a check. */
export async function onMediaStored(tenant: TenantContext, event: MediaStoredEvent) {
  if (!isPdf(event.mimeType)) return
  const settings = await hitlSettings(tenant)
  if (!settings.analyzeWhatsAppQuotes) return
  const { default: CustomerQuotesJob } = await import('../../jobs/customer_quotes_job.js')
  await dispatchTenantJob(
    CustomerQuotesJob,
    tenant,
    {
      conversationId: event.conversationId,
      contactId: event.contactId,
      messageId: event.messageId,
    },
    { jobId: `hitl-wa-quotes-${tenant.slug}-${event.messageId}`, delay: WHATSAPP_QUOTES.settleMs }
  )
}

/**
 * The check: starts a run for the conversation's untaken PDFs when this
 * message is the newest of them; null when there is nothing (yet) to do.
 */
export async function analyzeCustomerPdfs(
  tenant: TenantContext,
  input: { conversationId: string; contactId: string; messageId: string }
) {
  const settings = await hitlSettings(tenant)
  if (!settings.analyzeWhatsAppQuotes) return null
  const since = new Date(Date.now() - WHATSAPP_QUOTES.windowMs)
  const pdfs = await inboundPdfsOf(tenant, input.conversationId, since)
  const taken = pdfs.length
    ? await db
        .from('hitl_documents')
        .withSchema(tenant.schema)
        .whereIn(
          'message_id',
          pdfs.map((p) => p.messageId)
        )
        .select('message_id')
    : []
  const takenIds = new Set(taken.map((row: { message_id: string }) => row.message_id))
  const open = pdfs.filter((p) => !takenIds.has(p.messageId) && !p.failed)
  // A newer PDF's check will take this batch; one not stored yet will queue its own.
  if (!open.length || open.at(-1)!.messageId !== input.messageId) return null
  if (open.some((p) => !p.stored)) return null
  const batch = open.slice(-MAX_QUOTES)
  if (batch.length < MIN_QUOTES) return null

  const files: QuoteFile[] = []
  for (const pdf of batch) {
    const media = await storedMediaOf(tenant, pdf.messageId)
    if (!media) return null
    files.push({
      filename: media.filename,
      bytes: Buffer.from(await drive.use().getBytes(media.key)),
    })
  }
  const contact = await contactById(tenant, input.contactId)
  try {
    return await startQuoteRun(
      tenant,
      files,
      {
        contactId: input.contactId,
        conversationId: input.conversationId,
        messageIds: batch.map((p) => p.messageId),
        language: contact?.language?.startsWith('ar') ? 'ar' : 'en',
        source: 'whatsapp',
        sourceRef: `wa:${input.messageId}`,
      },
      systemActor
    )
  } catch (error) {
    // Too large, or the contact is gone: nothing for a person to approve.
    logger.warn({ err: error, tenant: tenant.slug }, 'customer quotes not analyzed')
    return null
  }
}
