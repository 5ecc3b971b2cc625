import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import {
  dispatchTenantJob,
  systemActor,
  type AuditActor,
  type TenantContext,
} from '#modules/tenancy/index'
import { TaskError } from '../task_errors.js'
import { conversationById } from '#modules/inbox/index'
import { QuotePdfError } from './quote_text.js'
import { deleteDocumentFiles, documentBytes, putDocumentFile } from './document_files.js'
import { storePageImages } from './page_images.js'
import {
  checkQuoteContact,
  checkQuoteFiles,
  documentName,
  openQuoteTask,
  readQuotes,
  type QuoteFile,
  type QuoteLanguage,
} from './quote_analyzer.js'

/*
| A quote analysis as a job: the PDFs are stored with a run row, the job
| reads them one by one (the run counts them: the progress page shows it),
| then opens the comparison task and hands it the PDFs. A run started twice
| for the same source (a customer's WhatsApp PDFs heard twice) is one run.
*/

export interface QuoteRun {
  id: string
  status: 'queued' | 'running' | 'done' | 'failed'
  total: number
  done: number
  contact_id: string | null
  conversation_id: string | null
  language: QuoteLanguage
  source: 'upload' | 'whatsapp' | 'api'
  source_ref: string | null
  task_id: string | null
  error: string | null
  created_by: string | null
  created_at: Date
}

export interface QuoteRunOptions {
  contactId?: string | null
  conversationId?: string | null
  /** Per file, the customer's message it came in (WhatsApp). */
  messageIds?: string[]
  language?: QuoteLanguage
  baseUrl?: string
  source?: QuoteRun['source']
  /** What started it (the customer's message ids): a second start is the first run. */
  sourceRef?: string | null
}

/** Stores the PDFs with a queued run and queues its job; answers the run. */
export async function startQuoteRun(
  tenant: TenantContext,
  files: QuoteFile[],
  options: QuoteRunOptions,
  actor: AuditActor
): Promise<QuoteRun> {
  checkQuoteFiles(files)
  await checkQuoteContact(tenant, options.contactId)
  const runId = randomUUID()
  const documentIds = files.map(() => randomUUID())
  const keys: string[] = []
  for (const [i, file] of files.entries()) {
    keys.push(await putDocumentFile(tenant, documentIds[i], file.bytes))
  }
  const run = await tenant.transaction(async (trx) => {
    const inserted = await trx.rawQuery(
      `insert into hitl_quote_runs
         (id, total, contact_id, conversation_id, language, source, source_ref, created_by)
       values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (source_ref) do nothing
       returning *`,
      [
        runId,
        files.length,
        options.contactId ?? null,
        options.conversationId ?? null,
        options.language ?? 'en',
        options.source ?? 'upload',
        options.sourceRef ?? null,
        actor.userId,
      ] as any[]
    )
    const row = inserted.rows[0] as QuoteRun | undefined
    if (!row) return null
    await trx.table('hitl_documents').multiInsert(
      files.map((file, position) => ({
        id: documentIds[position],
        run_id: runId,
        position,
        filename: documentName(file),
        size: file.bytes.length,
        storage_key: keys[position],
        message_id: options.messageIds?.[position] ?? null,
      }))
    )
    return row
  })
  if (!run) {
    // Started before for the same source: its files are the ones kept.
    await deleteDocumentFiles(keys)
    const earlier = await db
      .from('hitl_quote_runs')
      .withSchema(tenant.schema)
      .where('source_ref', options.sourceRef!)
      .first()
    return earlier as QuoteRun
  }
  const { default: QuoteAnalysisJob } = await import('../../jobs/quote_analysis_job.js')
  await dispatchTenantJob(
    QuoteAnalysisJob,
    tenant,
    { runId: run.id, baseUrl: options.baseUrl ?? null },
    { jobId: `hitl-quotes-${tenant.slug}-${run.id}`, attempts: 1 }
  )
  return run
}

export async function findQuoteRun(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  const row = await db.from('hitl_quote_runs').withSchema(tenant.schema).where('id', id).first()
  return (row as QuoteRun | undefined) ?? null
}

async function updateRun(tenant: TenantContext, id: string, changes: Record<string, unknown>) {
  await db
    .from('hitl_quote_runs')
    .withSchema(tenant.schema)
    .where('id', id)
    .update({ ...changes, updated_at: new Date() })
}

/**
 * The job's work: claims the queued run (a second delivery of the job finds
 * it taken), reads each PDF counting them, opens the task and gives it the
 * PDFs. A PDF that cannot be read fails the run with its name.
 */
export async function runQuoteAnalysis(
  tenant: TenantContext,
  runId: string,
  options: { baseUrl?: string | null } = {}
) {
  const claimed = await db.rawQuery(
    `update ${tenant.table('hitl_quote_runs')} set status = 'running', updated_at = now()
      where id = ? and status = 'queued' returning *`,
    [runId]
  )
  const run = claimed.rows[0] as QuoteRun | undefined
  if (!run) return null
  const documents = await db
    .from('hitl_documents')
    .withSchema(tenant.schema)
    .where('run_id', runId)
    .orderBy('position')
    .select('id', 'filename', 'bytes', 'storage_key')
  try {
    const files: QuoteFile[] = []
    for (const d of documents) {
      files.push({
        filename: d.filename,
        bytes: (await documentBytes(tenant, d)) ?? Buffer.alloc(0),
      })
    }
    const read = await readQuotes(files, (done) => updateRun(tenant, runId, { done }))
    for (const [i, doc] of documents.entries())
      await storePageImages(tenant, doc.id, files[i].bytes)
    const conversation = run.conversation_id
      ? await conversationById(tenant, run.conversation_id)
      : null
    const opened = await openQuoteTask(
      tenant,
      read,
      documents.map((d) => d.id),
      {
        contactId: run.contact_id,
        conversationId: run.conversation_id,
        // A customer's quotes go to whoever has their conversation.
        assigneeUserId: conversation?.assigneeId ?? null,
        language: run.language,
        baseUrl: options.baseUrl ?? undefined,
      },
      run.created_by ? { ...systemActor, userId: run.created_by } : systemActor
    )
    await tenant.transaction(async (trx) => {
      for (const [i, doc] of documents.entries()) {
        await trx
          .from('hitl_documents')
          .where('id', doc.id)
          .update({
            task_id: opened.task.id,
            pages: read[i].pages.length,
            extraction: JSON.stringify({ ...read[i].extraction, by: read[i].by }),
          })
      }
      await trx
        .from('hitl_quote_runs')
        .where('id', runId)
        .update({ status: 'done', task_id: opened.task.id, updated_at: new Date() })
    })
    return opened
  } catch (error) {
    const known = error instanceof TaskError || error instanceof QuotePdfError
    if (!known) logger.error({ err: error, tenant: tenant.slug, run: runId }, 'quote run failed')
    await updateRun(tenant, runId, {
      status: 'failed',
      error: known ? (error as Error).message.slice(0, 500) : 'The quotes could not be read',
    })
    return null
  }
}
