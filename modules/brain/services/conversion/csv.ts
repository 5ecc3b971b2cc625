import { ConversionError } from './errors.js'

/**
 * A CSV export (a price list, a product catalogue) as Markdown.
 *
 * Each row becomes one list item that names every column: "- Service:
 * Dental cleaning; Price (AED): 350; Notes: ...". A Markdown table would be
 * shorter, but a row of a table means nothing without its header: a search
 * hit, an extractive quote or a model's context would see "| Dental cleaning
 * | 350 |" and not know 350 is the price. Spelled out, every row answers on
 * its own, and the chunker packs whole items (rows) into chunks.
 */
export function csvToMarkdown(text: string, title: string | null): string {
  const source = text.replace(/^\ufeff/, '')
  const rows = parseCsv(source, detectDelimiter(source)).filter((row) =>
    row.some((cell) => cell.trim() !== '')
  )
  if (rows.length < 2) {
    throw new ConversionError('empty', 'The spreadsheet has no rows under its header.')
  }
  const header = rows[0].map((name, i) => oneLine(name) || `Column ${i + 1}`)
  const items = rows.slice(1).map((row) => {
    const fields = row
      .map((value, i) => ({ name: header[i] ?? `Column ${i + 1}`, value: oneLine(value) }))
      .filter((field) => field.value !== '')
      .map((field) => `${field.name}: ${field.value}`)
    return `- ${fields.join('; ')}`
  })
  return [title ? `# ${title}` : '', items.join('\n')].filter(Boolean).join('\n\n')
}

function oneLine(value: string) {
  return value.replace(/\s+/g, ' ').trim()
}

/**
 * Comma, semicolon (spreadsheets in locales with a decimal comma) or tab: the
 * one that occurs most in the header line outside quotes.
 */
export function detectDelimiter(text: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 }
  let quoted = false
  for (const char of text) {
    if (char === '"') quoted = !quoted
    else if (!quoted && (char === '\n' || char === '\r')) break
    else if (!quoted && char in counts) counts[char]++
  }
  const [best, count] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]
  return count > 0 ? best : ','
}

/**
 * RFC 4180: fields may be quoted; a quoted field may hold the delimiter,
 * line breaks and doubled quotes ("" for "). Lines end in CRLF or LF.
 */
export function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  while (i < text.length) {
    const char = text[i]
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else {
        field += char
      }
      i++
      continue
    }
    if (char === '"' && field.trim() === '') {
      quoted = true
      field = ''
    } else if (char === delimiter) {
      row.push(field)
      field = ''
    } else if (char === '\n' || char === '\r') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      if (char === '\r' && text[i + 1] === '\n') i++
    } else {
      field += char
    }
    i++
  }
  if (field !== '' || row.length) {
    row.push(field)
    rows.push(row)
  }
  return rows
}
