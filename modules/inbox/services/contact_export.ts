import { Readable } from 'node:stream'
import type { TenantContext } from '#modules/tenancy/index'
import ContactField from '../models/contact_field.js'
import { applyListFilters, type ContactFilters } from './contact_service.js'
import { compileContactFilter, type ContactFilter } from './contact_filter.js'

/*
| Contacts out as CSV: the list's filters (and a segment's, when given)
| select them; pages of PAGE rows are read by keyset, one short
| transaction each, and written as they come, so a large list never sits
| in memory and no transaction stays open while a slow client reads. The
| file starts with a byte order mark so Excel reads Arabic as UTF-8, and
| its headers are the ones the import recognises, so an export can be
| edited and imported back.
*/

const PAGE = 2000

const BUILT_IN_COLUMNS = [
  'id',
  'phone',
  'name',
  'email',
  'tags',
  'conversation_labels',
  'language',
  'time_zone',
  'opt_in',
  'service_consent_source',
  'service_consent_at',
  'marketing_consent',
  'marketing_consent_source',
  'marketing_consent_at',
  'notes',
  'source',
  'created_at',
] as const

export interface ExportSelection {
  list: Omit<ContactFilters, 'page'>
  /** A saved segment's filter, applied on top of the list's. */
  segment?: ContactFilter | null
}

/** A CSV cell: quoted when needed, and never read by a spreadsheet as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = value instanceof Date ? value.toISOString() : String(value)
  if (/^[=@\t\r]/.test(text) || /^[+-](?![\d\s().-]*$)/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvLine(cells: unknown[]) {
  return cells.map(csvCell).join(',') + '\r\n'
}

/** The selected contacts as a stream of CSV text (BOM, header, then a line per contact). */
export function contactsCsv(tenant: TenantContext, selection: ExportSelection): Readable {
  return Readable.from(contactCsvLines(tenant, selection), { objectMode: false })
}

async function* contactCsvLines(tenant: TenantContext, selection: ExportSelection) {
  const fields = await tenant.transaction((trx) =>
    ContactField.query({ client: trx }).orderBy('position')
  )
  yield '\uFEFF' + csvLine([...BUILT_IN_COLUMNS, ...fields.map((field) => field.key)])
  let after: { at: string; id: string } | null = null
  for (;;) {
    const rows: Array<Record<string, any>> = await tenant.transaction(async (trx) => {
      const query = trx.from('contacts').select(
        'contacts.*',
        trx.raw('created_at::text as cursor_at'),
        trx.raw(
          `array(select distinct l from conversations v, unnest(v.labels) l
                    where v.contact_id = contacts.id order by l) as conversation_labels`
        )
      )
      applyListFilters(query, selection.list)
      if (selection.segment) {
        const where = compileContactFilter(selection.segment, fields)
        query.whereRaw(`contacts.id in (select c.id from contacts c where ${where.sql})`, [
          ...where.bindings,
        ] as any[])
      }
      if (after) {
        query.whereRaw('(contacts.created_at, contacts.id) > (?::timestamptz, ?::uuid)', [
          after.at,
          after.id,
        ])
      }
      return query.orderBy('contacts.created_at').orderBy('contacts.id').limit(PAGE)
    })
    let chunk = ''
    for (const row of rows) {
      chunk += csvLine([
        row.id,
        row.phone,
        row.name,
        row.email,
        (row.tags ?? []).join(', '),
        (row.conversation_labels ?? []).join(', '),
        row.language,
        row.time_zone,
        row.opt_in,
        row.service_consent_source,
        row.service_consent_at,
        row.marketing_consent,
        row.marketing_consent_source,
        row.marketing_consent_at,
        row.notes,
        row.source,
        row.created_at,
        ...fields.map((field) => row.attributes?.[field.key]),
      ])
    }
    if (chunk) yield chunk
    if (rows.length < PAGE) return
    const last = rows[rows.length - 1]
    after = { at: last.cursor_at, id: last.id }
  }
}
