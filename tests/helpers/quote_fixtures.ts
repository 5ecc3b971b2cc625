/*
| Insurer quote PDFs built at test time (no binary fixtures): four layouts a
| broker receives (labelled lines, a two-column table, a one-row comparison
| table, and an Arabic quote), each with the fields the analyzer should read
| and, for one, a field it should find missing. Text is set with a Type0
| font (Identity-H) and a ToUnicode map, as producers write Unicode text, so
| Arabic extracts as Arabic. Arabic runs are stored in visual order (right to
| left reversed), as real producers store them; readers reorder them.
*/

export interface PlacedText {
  x: number
  y: number
  text: string
  size?: number
}

const RTL = /[\u0590-\u08ff]/

/** Visual order of a run: an Arabic run reversed, digits and Latin as they are. */
function visual(text: string) {
  return RTL.test(text) ? [...text].reverse().join('') : text
}

/** A PDF whose pages hold text placed at (x, y), any Unicode, one font. */
export function buildUnicodePdf(pages: PlacedText[][], title = 'Quotation'): Buffer {
  const glyphs = new Map<string, number>()
  const glyphOf = (char: string) => {
    let id = glyphs.get(char)
    if (id === undefined) {
      id = glyphs.size + 1
      glyphs.set(char, id)
    }
    return id
  }
  const streams = pages.map((items) =>
    items
      .map((item) => {
        const hex = [...visual(item.text)]
          .map((char) => glyphOf(char).toString(16).padStart(4, '0'))
          .join('')
        return `BT /F1 ${item.size ?? 11} Tf ${item.x} ${item.y} Td <${hex}> Tj ET`
      })
      .join('\n')
  )
  const toUnicode = [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
  ]
  const entries = [...glyphs.entries()]
  for (let i = 0; i < entries.length; i += 100) {
    const slice = entries.slice(i, i + 100)
    toUnicode.push(`${slice.length} beginbfchar`)
    for (const [char, id] of slice) {
      const utf16 = Buffer.from(char, 'utf16le').swap16().toString('hex')
      toUnicode.push(`<${id.toString(16).padStart(4, '0')}> <${utf16}>`)
    }
    toUnicode.push('endbfchar')
  }
  toUnicode.push('endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end')

  const objects: string[] = []
  // 1 catalog, 2 pages, 3 Type0 font, 4 CID font, 5 descriptor, 6 ToUnicode, 7 info.
  const pageIds = pages.map((_, i) => 8 + i * 2)
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>'
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`
  objects[3] =
    '<< /Type /Font /Subtype /Type0 /BaseFont /ArialUnicodeMS /Encoding /Identity-H ' +
    '/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>'
  objects[4] =
    '<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ArialUnicodeMS ' +
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> ' +
    '/FontDescriptor 5 0 R /DW 560 /CIDToGIDMap /Identity >>'
  objects[5] =
    '<< /Type /FontDescriptor /FontName /ArialUnicodeMS /Flags 32 /FontBBox [-1011 -330 2260 1078] ' +
    '/ItalicAngle 0 /Ascent 1069 /Descent -271 /CapHeight 716 /StemV 80 >>'
  const cmap = toUnicode.join('\n')
  objects[6] = `<< /Length ${Buffer.byteLength(cmap, 'latin1')} >>\nstream\n${cmap}\nendstream`
  objects[7] = `<< /Title (${title.replace(/[()\\]/g, '')}) /Producer (FloMastr quote fixtures) >>`
  pages.forEach((_, i) => {
    const stream = streams[i]
    objects[pageIds[i]] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] ` +
      `/Resources << /Font << /F1 3 0 R >> >> /Contents ${pageIds[i] + 1} 0 R >>`
    objects[pageIds[i] + 1] =
      `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`
  })
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
  let offset = chunks[0].length
  const offsets: number[] = []
  for (let id = 1; id < objects.length; id++) {
    const bytes = Buffer.from(`${id} 0 obj\n${objects[id]}\nendobj\n`, 'latin1')
    offsets[id] = offset
    offset += bytes.length
    chunks.push(bytes)
  }
  const xref = [`xref\n0 ${objects.length}\n`, '0000000000 65535 f \n']
  for (let id = 1; id < objects.length; id++) {
    xref.push(`${String(offsets[id]).padStart(10, '0')} 00000 n \n`)
  }
  chunks.push(
    Buffer.from(
      xref.join('') +
        `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 7 0 R >>\nstartxref\n${offset}\n%%EOF\n`,
      'latin1'
    )
  )
  return Buffer.concat(chunks)
}

/** Lines set top to bottom at the left margin (a "Label: value" quote). */
function lines(texts: string[], start = 760, x = 60): PlacedText[] {
  return texts.map((text, i) => ({ x, y: start - i * 18, text }))
}

/** Rows of cells at fixed column positions (a table). */
function rows(cells: string[][], columns: number[], start: number): PlacedText[] {
  return cells.flatMap((row, r) =>
    row.map((text, c) => ({ x: columns[c], y: start - r * 20, text, size: 10 }))
  )
}

export interface ExpectedQuote {
  insurer: string | null
  product: string | null
  premium: number | null
  currency: string | null
  period: string | null
  coverage_limit: number | null
  deductible: number | null
  /** Words each listed exclusion must include, in order. */
  exclusions: string[]
}

export interface QuoteFixture {
  name: string
  filename: string
  language: 'en' | 'ar'
  pdf: Buffer
  expected: ExpectedQuote
}

/** The quote fixtures: four layouts, one Arabic, one with a field missing. */
export function quoteFixtures(): QuoteFixture[] {
  return [
    {
      name: 'labelled lines',
      filename: 'gulf-shield-quote.pdf',
      language: 'en',
      pdf: buildUnicodePdf(
        [
          lines([
            'QUOTATION - Professional Indemnity',
            'Quote reference: GS-2026-0412',
            'Insurer: Gulf Shield Insurance PJSC',
            'Product: Medical Malpractice Cover',
            'Period of insurance: 01/01/2027 to 31/12/2027',
            'Limit of indemnity: AED 2,000,000 any one claim',
            'Deductible: AED 5,000 each and every claim',
            'Annual premium: AED 7,850.00',
            '',
            'Main exclusions',
            '- Cosmetic surgery',
            '- Criminal acts',
            '- Claims known before inception',
          ]),
        ],
        'Gulf Shield quotation'
      ),
      expected: {
        insurer: 'Gulf Shield Insurance PJSC',
        product: 'Medical Malpractice Cover',
        premium: 7850,
        currency: 'AED',
        period: '01/01/2027 to 31/12/2027',
        coverage_limit: 2_000_000,
        deductible: 5000,
        exclusions: ['Cosmetic surgery', 'Criminal acts', 'Claims known before inception'],
      },
    },
    {
      name: 'two-column table',
      filename: 'oasis-quote.pdf',
      language: 'en',
      pdf: buildUnicodePdf([
        [
          { x: 60, y: 760, text: 'Oasis General Insurance', size: 16 },
          { x: 60, y: 736, text: 'Schedule of cover', size: 12 },
          ...rows(
            [
              ['Underwriter', 'Oasis General Insurance Co.'],
              ['Plan', 'Clinic Liability Plus'],
              ['Policy period', '12 months from 1 March 2027'],
              ['Sum insured', 'USD 1,500,000'],
              ['Excess', 'USD 2,500'],
              ['Total premium payable', 'USD 2,940'],
            ],
            [60, 260],
            700
          ),
          {
            x: 60,
            y: 560,
            text: 'Exclusions: war and terrorism; nuclear risks; fines and penalties',
          },
        ],
      ]),
      expected: {
        insurer: 'Oasis General Insurance Co.',
        product: 'Clinic Liability Plus',
        premium: 2940,
        currency: 'USD',
        period: '12 months from 1 March 2027',
        coverage_limit: 1_500_000,
        deductible: 2500,
        exclusions: ['war and terrorism', 'nuclear risks', 'fines and penalties'],
      },
    },
    {
      name: 'one-row comparison table, deductible absent',
      filename: 'noor-quote.pdf',
      language: 'en',
      pdf: buildUnicodePdf([
        [
          { x: 60, y: 760, text: 'Your quotation', size: 16 },
          ...rows(
            [
              ['Insurer', 'Product', 'Premium', 'Coverage limit'],
              ['Noor Takaful', 'Family Health Gold', 'SAR 12,400', 'SAR 500,000'],
            ],
            [60, 180, 330, 440],
            720
          ),
          { x: 60, y: 660, text: 'Period: 1 year' },
          { x: 60, y: 630, text: 'Not covered:' },
          { x: 72, y: 612, text: '• Pre-existing conditions' },
          { x: 72, y: 594, text: '• Dental treatment' },
        ],
      ]),
      expected: {
        insurer: 'Noor Takaful',
        product: 'Family Health Gold',
        premium: 12_400,
        currency: 'SAR',
        period: '1 year',
        coverage_limit: 500_000,
        deductible: null,
        exclusions: ['Pre-existing conditions', 'Dental treatment'],
      },
    },
    {
      name: 'Arabic labelled lines',
      filename: 'amana-quote-ar.pdf',
      language: 'ar',
      pdf: buildUnicodePdf([
        [
          { x: 380, y: 760, text: 'عرض سعر تأمين', size: 16 },
          ...arabicLine(730, 'شركة التأمين:', 'الأمانة للتأمين'),
          ...arabicLine(712, 'المنتج:', 'تأمين المسؤولية الطبية'),
          ...arabicLine(694, 'مدة التأمين:', 'سنة واحدة'),
          ...arabicLine(676, 'حد التغطية:', 'AED 1,000,000'),
          ...arabicLine(658, 'مبلغ التحمل:', 'AED 3,000'),
          ...arabicLine(640, 'القسط السنوي:', 'AED 6,200'),
          { x: 440, y: 610, text: 'الاستثناءات:' },
          { x: 400, y: 592, text: '- الجراحة التجميلية' },
          { x: 400, y: 574, text: '- الأعمال الجنائية' },
        ],
      ]),
      expected: {
        insurer: 'الأمانة للتأمين',
        product: 'تأمين المسؤولية الطبية',
        premium: 6200,
        currency: 'AED',
        period: 'سنة واحدة',
        coverage_limit: 1_000_000,
        deductible: 3000,
        exclusions: ['الجراحة التجميلية', 'الأعمال الجنائية'],
      },
    },
  ]
}

/** An Arabic "label: value" line: the label on the right, the value to its left. */
function arabicLine(y: number, label: string, value: string): PlacedText[] {
  return [
    { x: 440, y, text: label },
    { x: 200, y, text: value },
  ]
}
