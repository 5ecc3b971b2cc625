import { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import ExcelJS from 'exceljs'

/*
| Spreadsheets in: a CSV (csv-parse) or the first worksheet of an XLSX
| (exceljs's streaming reader), read as a header row and records keyed by
| it, one at a time, so a 100,000-row file never sits in memory as objects.
*/

export type SheetFormat = 'csv' | 'xlsx'

export class SheetError extends Error {}

export function formatOf(fileName: string): SheetFormat | null {
  const lower = fileName.toLowerCase()
  if (lower.endsWith('.csv') || lower.endsWith('.txt')) return 'csv'
  if (lower.endsWith('.xlsx')) return 'xlsx'
  return null
}

/** Header names as columns: trimmed, blanks named, repeats numbered. */
export function cleanHeaders(raw: unknown[]): string[] {
  const seen = new Map<string, number>()
  return raw.map((value, i) => {
    let name = String(value ?? '')
      .replace(/^\uFEFF/, '')
      .trim()
      .slice(0, 100)
    if (!name) name = `column_${i + 1}`
    const count = seen.get(name.toLowerCase()) ?? 0
    seen.set(name.toLowerCase(), count + 1)
    return count ? `${name}_${count + 1}` : name
  })
}

export interface SheetRow {
  /** 1-based line of the data row (the header is line 1 of a CSV). */
  line: number
  values: Record<string, unknown>
}

/** The header and then each record of a sheet. */
export async function* readSheet(
  bytes: Buffer,
  format: SheetFormat
): AsyncGenerator<{ headers: string[] } | SheetRow> {
  if (format === 'csv') yield* readCsv(bytes)
  else yield* readXlsx(bytes)
}

async function* readCsv(bytes: Buffer) {
  const text = bytes.toString('utf8')
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0 || text.length)
  // Semicolons in a header with no commas: a European spreadsheet's export.
  const delimiter =
    firstLine.includes(';') && !firstLine.includes(',')
      ? ';'
      : firstLine.includes('\t') && !firstLine.includes(',')
        ? '\t'
        : ','
  const parser = Readable.from([bytes]).pipe(
    parse({
      delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
    })
  )
  let headers: string[] | null = null
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[]
      info: { lines: number }
    }>) {
      if (!headers) {
        headers = cleanHeaders(record)
        yield { headers }
        continue
      }
      const values: Record<string, unknown> = {}
      headers.forEach((header, i) => (values[header] = record[i] ?? null))
      yield { line: info.lines, values }
    }
  } catch (error) {
    throw new SheetError(`The CSV could not be read: ${(error as Error).message}`)
  }
  if (!headers) throw new SheetError('The file is empty.')
}

function cellValue(value: ExcelJS.CellValue): unknown {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.toISOString().slice(0, 10)
  if (typeof value === 'object') {
    if ('result' in value) return cellValue(value.result as ExcelJS.CellValue)
    if ('richText' in value) return value.richText.map((part) => part.text).join('')
    if ('hyperlink' in value) return value.hyperlink
    if ('text' in value) return String(value.text)
    if ('error' in value) return null
  }
  return value
}

async function* readXlsx(bytes: Buffer) {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles say which numbers are dates; without them a date reads as its serial number.
    styles: 'cache',
    worksheets: 'emit',
  })
  let headers: string[] | null = null
  try {
    for await (const worksheet of reader) {
      for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
        const cells = (row.values as ExcelJS.CellValue[]).slice(1).map(cellValue)
        if (cells.every((cell) => cell === null || cell === '')) continue
        if (!headers) {
          headers = cleanHeaders(cells)
          yield { headers }
          continue
        }
        const values: Record<string, unknown> = {}
        headers.forEach((header, i) => (values[header] = cells[i] ?? null))
        yield { line: row.number, values }
      }
      break
    }
  } catch (error) {
    if (error instanceof SheetError) throw error
    throw new SheetError(`The spreadsheet could not be read: ${(error as Error).message}`)
  }
  if (!headers) throw new SheetError('The file is empty.')
}
