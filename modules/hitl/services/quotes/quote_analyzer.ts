import { randomUUID } from 'node:crypto'
import env from '#start/env'
import db from '@adonisjs/lucid/services/db'
import type { AuditActor, TenantContext } from '#modules/tenancy/index'
import { contactById } from '#modules/inbox/index'
import { createTask } from '../task_service.js'
import { TaskError } from '../task_errors.js'
import type { Component } from '../components.js'
import { extractQuote, type QuoteExtraction } from './quote_extractor.js'
import { QuotePdfError, quotePdfPages } from './quote_text.js'
import { extractWithModel } from './model_extractor.js'
import { putDocumentFile } from './document_files.js'
import { pageImageCount, storePageImages } from './page_images.js'

/*
| The quote analyzer (the insurance broker's workflow): two or more insurer
| quote PDFs become one task. Each quote is read by the chat model when one
| is configured (model_extractor), else (or when it fails) offline
| (quote_extractor);
| the task shows a comparison table (the best value highlighted, every
| figure with the page it came from, unread fields marked, never guessed),
| the PDFs as documents, and a summary for the client to edit. With a
| contact, approving sends the summary to them (send_message).
*/

export const QUOTE_TASK_KIND = 'quote_comparison'
export const MIN_QUOTES = 2
export const MAX_QUOTES = 6
export const MAX_QUOTE_BYTES = 10 * 1024 * 1024

export type QuoteLanguage = 'en' | 'ar'

export interface QuoteFile {
  filename: string
  bytes: Buffer
}

export interface AnalyzedQuote {
  documentId: string
  filename: string
  pages: number
  extraction: QuoteExtraction
}

const WORDS: Record<
  QuoteLanguage,
  {
    title: string
    titleFor: string
    table: string
    summary: string
    preview: string
    notFound: string
    page: string
    best: string
    columns: Record<string, string>
    intro: string
    bestLine: string
    outro: string
    none: string
  }
> = {
  en: {
    title: 'Quote comparison ({count} quotes)',
    titleFor: 'Quote comparison for {name} ({count} quotes)',
    table: 'Quotes side by side',
    summary: 'Summary for the client',
    preview: 'What the client will read',
    notFound: 'not found',
    page: 'p.',
    best: 'Best value: {insurer}',
    columns: {
      insurer: 'Insurer',
      product: 'Product',
      premium: 'Premium',
      period: 'Period',
      coverage_limit: 'Coverage limit',
      deductible: 'Deductible',
      exclusions: 'Main exclusions',
      file: 'File',
    },
    intro: 'Here is a comparison of the {count} quotes we received for you:',
    bestLine:
      'Our pick for value: {insurer} — the lowest premium for the cover. Reply to this message if you would like to go ahead or have questions.',
    outro: 'Reply to this message if you would like to go ahead or have questions.',
    none: 'none listed',
  },
  ar: {
    title: 'مقارنة عروض الأسعار ({count} عروض)',
    titleFor: 'مقارنة عروض الأسعار لـ {name} ({count} عروض)',
    table: 'العروض جنباً إلى جنب',
    summary: 'ملخص للعميل',
    preview: 'ما سيقرؤه العميل',
    notFound: 'غير موجود',
    page: 'ص',
    best: 'أفضل قيمة: {insurer}',
    columns: {
      insurer: 'شركة التأمين',
      product: 'المنتج',
      premium: 'القسط',
      period: 'المدة',
      coverage_limit: 'حد التغطية',
      deductible: 'مبلغ التحمل',
      exclusions: 'أهم الاستثناءات',
      file: 'الملف',
    },
    intro: 'إليك مقارنة بين {count} عروض أسعار وصلتنا لك:',
    bestLine:
      'اختيارنا من حيث القيمة: {insurer} — أقل قسط مقابل التغطية. يمكنك الرد على هذه الرسالة للمتابعة أو لأي استفسار.',
    outro: 'يمكنك الرد على هذه الرسالة للمتابعة أو لأي استفسار.',
    none: 'لا يوجد',
  },
}

function fill(template: string, values: Record<string, string | number>) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ''))
}

function money(value: number | null, currency: string | null) {
  if (value === null) return null
  const amount = value.toLocaleString('en-US', { maximumFractionDigits: 2 })
  return currency ? `${currency} ${amount}` : amount
}

/**
 * The best value: the lowest premium among quotes in the most common
 * currency, a higher coverage limit breaking ties. Null when fewer than two
 * premiums could be compared.
 */
export function bestValueIndex(quotes: QuoteExtraction[]) {
  const counts = new Map<string, number>()
  for (const q of quotes) {
    if (q.premium.value !== null) {
      const key = q.currency.value ?? ''
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
  const [currency, count] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['', 0]
  if (count < 2) return null
  let best: number | null = null
  quotes.forEach((q, i) => {
    if (q.premium.value === null || (q.currency.value ?? '') !== currency) return
    if (best === null) return (best = i)
    const b = quotes[best]
    if (
      q.premium.value < b.premium.value! ||
      (q.premium.value === b.premium.value &&
        (q.coverage_limit.value ?? 0) > (b.coverage_limit.value ?? 0))
    ) {
      best = i
    }
  })
  return best
}

/** The count and sizes, checked before anything is read or stored. */
export function checkQuoteFiles(files: QuoteFile[]) {
  if (files.length < MIN_QUOTES || files.length > MAX_QUOTES) {
    throw new TaskError(
      'validation_failed',
      `Send ${MIN_QUOTES} to ${MAX_QUOTES} quote PDFs`,
      422,
      { files: [`${MIN_QUOTES} to ${MAX_QUOTES} PDF files`] }
    )
  }
  for (const [index, file] of files.entries()) {
    if (file.bytes.length > MAX_QUOTE_BYTES) {
      throw new TaskError('too_large', `${file.filename} is larger than 10 MB`, 413, {
        [`files.${index}`]: ['At most 10 MB'],
      })
    }
  }
}

export interface ReadQuote {
  file: QuoteFile
  pages: string[]
  extraction: QuoteExtraction
  /** Who read it: the chat model, or the offline extractor. */
  by: 'model' | 'offline'
}

/**
 * Reads each quote (the model when configured, else offline); a file that
 * is not a readable PDF is a 422 naming it. `progress` hears each quote read.
 */
export async function readQuotes(
  files: QuoteFile[],
  progress?: (done: number, total: number) => Promise<void>
) {
  checkQuoteFiles(files)
  const read: ReadQuote[] = []
  for (const [index, file] of files.entries()) {
    try {
      const pages = await quotePdfPages(file.bytes)
      const modelRead = await extractWithModel(pages)
      read.push(
        modelRead
          ? { file, pages, extraction: modelRead, by: 'model' }
          : { file, pages, extraction: extractQuote(pages), by: 'offline' }
      )
      await progress?.(index + 1, files.length)
    } catch (error) {
      if (!(error instanceof QuotePdfError)) throw error
      throw new TaskError('invalid_file', `${file.filename}: ${error.message}`, 422, {
        [`files.${index}`]: [error.message],
      })
    }
  }
  return read
}

/**
 * Analyzes the quotes and opens the task, in this request (the API's
 * answer carries the task). The workspace's form and the customers' PDFs
 * go through a job instead (quote_runs.ts).
 */
export async function analyzeQuotes(
  tenant: TenantContext,
  files: QuoteFile[],
  options: QuoteTaskOptions,
  actor: AuditActor
) {
  await checkQuoteContact(tenant, options.contactId)
  const read = await readQuotes(files)
  const documentIds = read.map(() => randomUUID())
  const keys: string[] = []
  for (const [i, r] of read.entries()) {
    keys.push(await putDocumentFile(tenant, documentIds[i], r.file.bytes))
    await storePageImages(tenant, documentIds[i], r.file.bytes)
  }
  const opened = await openQuoteTask(tenant, read, documentIds, options, actor)
  await tenant.transaction((trx) =>
    trx.table('hitl_documents').multiInsert(
      read.map((r, i) => ({
        id: documentIds[i],
        task_id: opened.task.id,
        position: i,
        filename: documentName(r.file),
        pages: r.pages.length,
        size: r.file.bytes.length,
        storage_key: keys[i],
        extraction: JSON.stringify({ ...r.extraction, by: r.by }),
      }))
    )
  )
  return opened
}

export interface QuoteTaskOptions {
  contactId?: string | null
  /** The conversation the quotes came in (a customer's WhatsApp PDFs): the task is its. */
  conversationId?: string | null
  assigneeUserId?: string | null
  language?: QuoteLanguage
  baseUrl?: string
}

export function documentName(file: QuoteFile) {
  return file.filename.slice(0, 200) || 'quote.pdf'
}

export async function checkQuoteContact(tenant: TenantContext, contactId?: string | null) {
  const contact = contactId ? await contactById(tenant, contactId) : null
  if (contactId && !contact) {
    throw new TaskError('contact_not_found', 'No such contact', 404, {
      contact_id: ['No such contact in this workspace'],
    })
  }
  return contact
}

/**
 * Opens the comparison task for quotes already read, their documents
 * stored (or about to be) under `documentIds`. With a contact, approval
 * sends the (edited) summary to them; without one, the task only records
 * the decision (action none).
 */
export async function openQuoteTask(
  tenant: TenantContext,
  read: ReadQuote[],
  documentIds: string[],
  options: QuoteTaskOptions,
  actor: AuditActor
) {
  const language = options.language ?? 'en'
  const words = WORDS[language]
  const contact = await checkQuoteContact(tenant, options.contactId)
  const quotes = read.map((r) => r.extraction)
  const best = bestValueIndex(quotes)
  const base = (options.baseUrl ?? env.get('APP_URL', 'http://localhost:3333')).replace(/\/+$/, '')
  const documents = read.map((r, i) => {
    const url = `${base}/t/${tenant.slug}/tasks/documents/${documentIds[i]}`
    return {
      id: documentIds[i],
      filename: documentName(r.file),
      pages: r.pages.length,
      url,
      // The first pages as images, drawn when the document was stored (or on first view).
      pageImages: Array.from(
        { length: pageImageCount(r.pages.length) },
        (_, p) => `${url}/pages/${p + 1}`
      ),
    }
  })

  const cell = <T>(f: { value: T | null; page: number | null }, show: (v: T) => string | null) =>
    f.value === null
      ? `— ${words.notFound}`
      : `${show(f.value)}${f.page ? ` (${words.page} ${f.page})` : ''}`
  const columns = Object.keys(words.columns) as Array<keyof typeof words.columns>
  const rows = quotes.map((q, i) => ({
    insurer: cell(q.insurer, (v) => v),
    product: cell(q.product, (v) => v),
    premium: cell(q.premium, (v) => money(v, q.currency.value)),
    period: cell(q.period, (v) => v),
    coverage_limit: cell(q.coverage_limit, (v) => money(v, q.currency.value)),
    deductible: cell(q.deductible, (v) => money(v, q.currency.value)),
    exclusions: cell(q.exclusions, (v) => v.join('; ').slice(0, 900)),
    file: documents[i].filename,
  }))
  // Each figure links to the page of the document it was read on.
  const links = quotes.map((q, i) => {
    const row: Record<string, string> = { file: documents[i].url }
    for (const key of columns) {
      const found = (q as unknown as Record<string, { page: number | null } | undefined>)[key]
      if (found?.page) row[key] = `${documents[i].url}#page=${found.page}`
    }
    return row
  })
  const summary = summaryText(quotes, best, language)
  const components: Component[] = [
    {
      type: 'table',
      name: 'quotes',
      label: words.table,
      caption: words.table,
      columns: columns.map((key) => ({ key, label: words.columns[key] })),
      rows,
      links,
      ...(best !== null ? { highlight_row: best } : {}),
    },
    ...documents.map((doc, i): Component => ({
      type: 'document',
      name: `quote_${i + 1}`,
      label: quotes[i].insurer.value ?? doc.filename,
      caption: (quotes[i].insurer.value ?? doc.filename).slice(0, 200),
      url: doc.url,
      filename: doc.filename,
      pages: doc.pages,
      page_images: doc.pageImages,
    })),
    {
      type: 'editable_text',
      name: 'summary',
      label: words.summary,
      value: summary,
      max_length: 4096,
      required: true,
      multiline: true,
    },
  ]
  if (contact) {
    components.push({
      type: 'message_preview',
      name: 'preview',
      label: words.preview,
      text_from: 'summary',
    })
  }
  const name = contact?.name || contact?.profileName || contact?.phone || null
  const { task } = await createTask(
    tenant,
    {
      kind: QUOTE_TASK_KIND,
      title: fill(name ? words.titleFor : words.title, { name: name ?? '', count: quotes.length }),
      description:
        best !== null ? fill(words.best, { insurer: quotes[best].insurer.value ?? '—' }) : null,
      contact_id: contact?.id ?? null,
      conversation_id: options.conversationId ?? null,
      assignee: options.assigneeUserId ? { user_id: options.assigneeUserId } : null,
      components,
      action: contact ? { type: 'send_message', text_from: 'summary' } : { type: 'none' },
      allowed: { edit: true },
      source: { type: 'analyzer', ref: null },
    },
    actor
  )
  return {
    task,
    quotes: read.map((r, i): AnalyzedQuote => ({
      documentId: documents[i].id,
      filename: documents[i].filename,
      pages: r.pages.length,
      extraction: r.extraction,
    })),
    best,
  }
}

/** The client's summary: one line per quote, the best value named; unread figures are left out. */
export function summaryText(
  quotes: QuoteExtraction[],
  best: number | null,
  language: QuoteLanguage
) {
  const words = WORDS[language]
  const lines = [fill(words.intro, { count: quotes.length }), '']
  quotes.forEach((q, i) => {
    const parts = [
      q.product.value,
      q.premium.value !== null
        ? `${words.columns.premium}: ${money(q.premium.value, q.currency.value)}`
        : null,
      q.coverage_limit.value !== null
        ? `${words.columns.coverage_limit}: ${money(q.coverage_limit.value, q.currency.value)}`
        : null,
      q.deductible.value !== null
        ? `${words.columns.deductible}: ${money(q.deductible.value, q.currency.value)}`
        : null,
    ].filter(Boolean)
    lines.push(
      `${i + 1}. ${q.insurer.value ?? words.notFound}${parts.length ? ` — ${parts.join(', ')}` : ''}`
    )
  })
  lines.push('')
  lines.push(
    best !== null
      ? fill(words.bestLine, { insurer: quotes[best].insurer.value ?? '' })
      : words.outro
  )
  return lines.join('\n').slice(0, 4096)
}

/** A task's stored document, for a member who may see the task. */
export async function findTaskDocument(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  const row = await db.from('hitl_documents').withSchema(tenant.schema).where('id', id).first()
  return row as
    | {
        id: string
        task_id: string | null
        filename: string
        content_type: string
        pages: number | null
        storage_key: string | null
        bytes: Buffer | null
      }
    | undefined
}
