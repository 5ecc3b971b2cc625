import { createHash } from 'node:crypto'
import JSZip from 'jszip'

/*
| Real documents built at test time, so the suite carries no binary files and
| each test says in code what its document contains. The PDFs are written
| byte by byte (objects, content streams, cross-reference table) the way a
| PDF producer does; the DOCX is a real Office Open XML package.
*/

export interface PdfLine {
  text: string
  /** Font size in points; headings are set larger, as a word processor would. */
  size?: number
}

export interface PdfOptions {
  /** The Info dictionary's /Title. */
  title?: string
  /**
   * Encrypt with the standard security handler (revision 2, RC4 40-bit) so
   * the PDF opens only with this user password.
   */
  userPassword?: string
}

/** A PDF with one text content stream per page, lines set top to bottom. */
export function buildPdf(pages: (string | PdfLine)[][], options: PdfOptions = {}): Buffer {
  const objects: (string | Buffer)[] = []
  const pageIds: number[] = []
  // 1 catalog, 2 pages tree, 3 font; pages and contents follow.
  const fontId = 3
  let next = 4
  const pageObjects: { pageId: number; contentId: number; stream: Buffer }[] = []
  for (const lines of pages) {
    const pageId = next++
    const contentId = next++
    pageIds.push(pageId)
    let y = 760
    const ops: string[] = []
    for (const raw of lines) {
      const line = typeof raw === 'string' ? { text: raw } : raw
      const size = line.size ?? 11
      ops.push(`BT /F1 ${size} Tf 72 ${y} Td (${pdfString(line.text)}) Tj ET`)
      y -= Math.round(size * 1.6)
    }
    pageObjects.push({ pageId, contentId, stream: Buffer.from(ops.join('\n'), 'latin1') })
  }
  const infoId = next++
  const encryptId = options.userPassword !== undefined ? next++ : null
  const fileId = createHash('md5').update(`flomastr-fixture-${pages.length}`).digest()

  const security =
    options.userPassword !== undefined ? standardSecurity(options.userPassword, fileId) : null
  const encrypt = (id: number, data: Buffer) =>
    security ? rc4(objectKey(security.key, id), data) : data

  objects[1] = `<< /Type /Catalog /Pages 2 0 R >>`
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`
  objects[fontId] =
    `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>`
  for (const { pageId, contentId, stream } of pageObjects) {
    objects[pageId] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] ` +
      `/Resources << /Font << /F1 ${fontId} 0 R >> >> /Contents ${contentId} 0 R >>`
    const body = encrypt(contentId, stream)
    objects[contentId] = Buffer.concat([
      Buffer.from(`<< /Length ${body.length} >>\nstream\n`, 'latin1'),
      body,
      Buffer.from('\nendstream', 'latin1'),
    ])
  }
  const title = options.title ?? 'Untitled'
  objects[infoId] = security
    ? `<< /Title <${encrypt(infoId, Buffer.from(title, 'latin1')).toString('hex')}> /Producer (FloMastr fixtures) >>`
    : `<< /Title (${pdfString(title)}) /Producer (FloMastr fixtures) >>`
  if (security && encryptId) {
    objects[encryptId] =
      `<< /Filter /Standard /V 1 /R 2 /Length 40 /P ${security.permissions} ` +
      `/O <${security.owner.toString('hex')}> /U <${security.user.toString('hex')}> >>`
  }

  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
  let offset = chunks[0].length
  const offsets: number[] = []
  for (let id = 1; id < objects.length; id++) {
    const body = objects[id]
    const bytes = Buffer.concat([
      Buffer.from(`${id} 0 obj\n`, 'latin1'),
      typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
      Buffer.from('\nendobj\n', 'latin1'),
    ])
    offsets[id] = offset
    offset += bytes.length
    chunks.push(bytes)
  }
  const xref = [`xref\n0 ${objects.length}\n`, '0000000000 65535 f \n']
  for (let id = 1; id < objects.length; id++)
    xref.push(`${String(offsets[id]).padStart(10, '0')} 00000 n \n`)
  const trailer =
    `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info ${infoId} 0 R` +
    (encryptId ? ` /Encrypt ${encryptId} 0 R` : '') +
    ` /ID [<${fileId.toString('hex')}> <${fileId.toString('hex')}>] >>\n` +
    `startxref\n${offset}\n%%EOF\n`
  chunks.push(Buffer.from(xref.join('') + trailer, 'latin1'))
  return Buffer.concat(chunks)
}

/** Escapes a PDF literal string. */
function pdfString(text: string) {
  return text.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)')
}

/* The padding string of the PDF standard security handler (PDF 1.7, 7.6.3.3). */
const PASSWORD_PADDING = Buffer.from(
  '28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a',
  'hex'
)

function padPassword(password: string) {
  return Buffer.concat([Buffer.from(password, 'latin1'), PASSWORD_PADDING]).subarray(0, 32)
}

/** Algorithms 3 to 5 of the standard security handler, revision 2. */
function standardSecurity(userPassword: string, fileId: Buffer) {
  // Printing and copying allowed; the upper bits must be set.
  const permissions = -44
  const ownerKey = createHash('md5')
    .update(padPassword(`${userPassword}-owner`))
    .digest()
    .subarray(0, 5)
  const owner = rc4(ownerKey, padPassword(userPassword))
  const p = Buffer.alloc(4)
  p.writeInt32LE(permissions)
  const key = createHash('md5')
    .update(Buffer.concat([padPassword(userPassword), owner, p, fileId]))
    .digest()
    .subarray(0, 5)
  const user = rc4(key, PASSWORD_PADDING)
  return { key, owner, user, permissions }
}

function objectKey(key: Buffer, id: number) {
  const suffix = Buffer.from([id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff, 0, 0])
  return createHash('md5')
    .update(Buffer.concat([key, suffix]))
    .digest()
    .subarray(0, key.length + 5)
}

/** RC4, which OpenSSL 3 no longer offers by default. */
function rc4(key: Buffer, data: Buffer) {
  const s = Array.from({ length: 256 }, (_, i) => i)
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 0xff
    ;[s[i], s[j]] = [s[j], s[i]]
  }
  const out = Buffer.alloc(data.length)
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff
    j = (j + s[i]) & 0xff
    ;[s[i], s[j]] = [s[j], s[i]]
    out[n] = data[n] ^ s[(s[i] + s[j]) & 0xff]
  }
  return out
}

/** A page-numbered insurance policy, the kind of PDF a tenant uploads. */
export function policyPdf(options: PdfOptions = {}) {
  return buildPdf(
    [
      [
        { text: 'Professional Indemnity Policy', size: 20 },
        'This policy covers claims made against you for professional negligence.',
        'Read it together with the schedule, which names the insured and the limits.',
        { text: '1 Definitions', size: 14 },
        'Insured means the person named in the schedule.',
        'Claim means a written demand for compensation.',
      ],
      [
        { text: 'Section 4 Exclusions', size: 14 },
        'We will not pay for claims arising from the following.',
        { text: '4.1 Criminal acts', size: 12 },
        'Any dishonest, fraudulent or criminal act by the insured.',
        { text: '4.2 Locum work', size: 12 },
        'Work done as a locum for another practice is not covered unless declared.',
      ],
      [
        { text: '5 Claims Procedure', size: 14 },
        'Tell us about a claim within 30 days by calling 800 1234.',
        'Keep all letters and do not admit liability.',
      ],
    ],
    { title: 'Professional Indemnity Policy', ...options }
  )
}

export interface DocxBlock {
  /** A paragraph, a heading (Heading1/Heading2 styles), a bullet or a table. */
  kind: 'p' | 'h1' | 'h2' | 'bullet' | 'table'
  text?: string
  rows?: string[][]
}

/** A Word document: word/document.xml with heading styles, numbered bullets and tables. */
export async function buildDocx(
  blocks: DocxBlock[],
  options: { rtl?: boolean } = {}
): Promise<Buffer> {
  const rtl = options.rtl ? '<w:bidi/>' : ''
  const run = (text: string) =>
    `<w:r>${options.rtl ? '<w:rPr><w:rtl/></w:rPr>' : ''}<w:t xml:space="preserve">${xml(text)}</w:t></w:r>`
  const paragraph = (text: string, style?: string, numbered = false) =>
    `<w:p><w:pPr>${style ? `<w:pStyle w:val="${style}"/>` : ''}` +
    (numbered ? '<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>' : '') +
    `${rtl}</w:pPr>${run(text)}</w:p>`
  const body = blocks
    .map((block) => {
      switch (block.kind) {
        case 'h1':
          return paragraph(block.text!, 'Heading1')
        case 'h2':
          return paragraph(block.text!, 'Heading2')
        case 'bullet':
          return paragraph(block.text!, 'ListParagraph', true)
        case 'table':
          return (
            '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/></w:tblPr>' +
            block
              .rows!.map(
                (row) =>
                  `<w:tr>${row.map((cell) => `<w:tc>${paragraph(cell)}</w:tc>`).join('')}</w:tr>`
              )
              .join('') +
            '</w:tbl>'
          )
        default:
          return paragraph(block.text!)
      }
    })
    .join('')

  const zip = new JSZip()
  zip.file(
    '[Content_Types].xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>
</Types>`
  )
  zip.file(
    '_rels/.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`
  )
  zip.file(
    'word/_rels/document.xml.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>
</Relationships>`
  )
  zip.file(
    'word/styles.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/></w:style>
<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/></w:style>
</w:styles>`
  )
  zip.file(
    'word/numbering.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
</w:numbering>`
  )
  zip.file(
    'word/document.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}<w:sectPr/></w:body></w:document>`
  )
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' })
}

function xml(text: string) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

/** A ZIP that is not a Word document (an OpenDocument-like package). */
export async function buildOtherZip(): Promise<Buffer> {
  const zip = new JSZip()
  zip.file('mimetype', 'application/vnd.oasis.opendocument.text')
  zip.file('content.xml', '<office:document-content/>')
  return zip.generateAsync({ type: 'nodebuffer' })
}

/**
 * A clinic's web page as a site builder produces it: navigation, a cookie
 * banner, a sidebar, a form and a footer around the article that matters.
 */
export function clinicPageHtml(
  options: { charset?: string; main?: 'main' | 'article' | 'none' } = {}
) {
  const main = options.main ?? 'main'
  const content = `
      <h1>Opening Hours and Fees</h1>
      <p>The Riverside Clinic is open Sunday to Thursday from 8am to 8pm. On Fridays we open from 2pm to 9pm.</p>
      <h2>Consultation fees</h2>
      <table>
        <thead><tr><th>Service</th><th>Price (AED)</th><th>Duration</th></tr></thead>
        <tbody>
          <tr><td>General consultation</td><td>250</td><td>20 min</td></tr>
          <tr><td>Specialist | follow-up</td><td>400</td><td>30 min</td></tr>
        </tbody>
      </table>
      <h2>What to bring</h2>
      <ul><li>Your Emirates ID</li><li>Your insurance card</li><li>Any previous reports</li></ul>
      <p>Read our <a href="/policies/cancellation">cancellation policy</a> before booking.</p>`
  const wrapped =
    main === 'main'
      ? `<main>${content}</main>`
      : main === 'article'
        ? `<article>${content}</article>`
        : `<div class="wrapper"><div class="content">${content}</div></div>`
  return `<!DOCTYPE html>
<html lang="en">
<head>
  ${options.charset ? `<meta charset="${options.charset}">` : '<meta charset="utf-8">'}
  <title>Opening Hours | Riverside Clinic</title>
  <style>body { font-family: sans-serif }</style>
  <script>window.analytics = { track: function () {} }</script>
</head>
<body>
  <header><a href="/">Riverside Clinic</a></header>
  <nav><ul><li><a href="/">Home</a></li><li><a href="/doctors">Our doctors</a></li><li><a href="/contact">Contact</a></li></ul></nav>
  <div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. <button>Accept all cookies</button></div>
  ${wrapped}
  <aside><h3>Latest news</h3><p>Flu vaccines have arrived for the winter season.</p></aside>
  <form action="/newsletter"><label>Subscribe to our newsletter</label><input name="email"><button>Subscribe</button></form>
  <footer><p>Copyright 2024 Riverside Clinic. All rights reserved.</p></footer>
  <script>console.log('tracking pixel')</script>
</body>
</html>`
}

/** An Arabic page, right to left, with its own navigation and footer. */
export function arabicPageHtml() {
  return `<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head><meta charset="utf-8"><title>ساعات العمل</title></head>
<body>
  <nav><a href="/">الرئيسية</a> <a href="/contact">اتصل بنا</a></nav>
  <main>
    <h1>ساعات العمل والأسعار</h1>
    <p>تفتح العيادة من الأحد إلى الخميس من الساعة الثامنة صباحاً حتى الثامنة مساءً. هل تحتاج إلى موعد؟ اتصل بنا على الرقم المجاني.</p>
    <h2>رسوم الاستشارة</h2>
    <p>رسوم الاستشارة العامة مئتان وخمسون درهماً، وتشمل الفحص الأولي؛ أما الاستشارة المتخصصة فرسومها أربعمئة درهم.</p>
  </main>
  <footer>جميع الحقوق محفوظة</footer>
</body>
</html>`
}

/**
 * Text in ISO-8859-6, the legacy Arabic charset some older sites still
 * serve: Arabic letters sit at fixed offsets above ASCII, so the encoder is a
 * few ranges rather than a table.
 */
export function encodeIso88596(text: string): Buffer {
  const bytes: number[] = []
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (code < 0x80) bytes.push(code)
    else if (code >= 0x0621 && code <= 0x063a) bytes.push(code - 0x0621 + 0xc1)
    else if (code >= 0x0640 && code <= 0x0652) bytes.push(code - 0x0640 + 0xe0)
    else if (code === 0x060c) bytes.push(0xac)
    else if (code === 0x061b) bytes.push(0xbb)
    else if (code === 0x061f) bytes.push(0xbf)
    else throw new Error(`No ISO-8859-6 byte for U+${code.toString(16)}`)
  }
  return Buffer.from(bytes)
}

/** A price list exported from a spreadsheet: BOM, quoted commas and line breaks. */
export function priceListCsv(options: { delimiter?: ',' | ';'; bom?: boolean } = {}) {
  const d = options.delimiter ?? ','
  const rows = [
    ['Service', 'Price (AED)', 'Notes'],
    ['General consultation', '250', 'Includes a basic check-up'],
    ['Dental cleaning', '350', '"Scaling, polishing and fluoride"'],
    ['Teeth whitening', '"1,200"', '"Two sessions\nbooked a week apart"'],
    ['"Root canal ""molar"""', '2500', ''],
  ]
  const text = rows.map((row) => row.join(d)).join('\r\n')
  return Buffer.from((options.bom === false ? '' : '\ufeff') + text + '\r\n', 'utf8')
}
