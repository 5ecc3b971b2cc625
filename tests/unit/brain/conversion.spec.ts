import { test } from '@japa/runner'
import {
  ConversionError,
  convertFaq,
  convertFile,
  convertText,
  detectLanguage,
  type ConversionErrorCode,
} from '#modules/brain/services/conversion'
import { chunkMarkdown } from '#modules/brain/services/chunker'
import {
  arabicPageHtml,
  buildDocx,
  buildOtherZip,
  buildPdf,
  clinicPageHtml,
  encodeIso88596,
  policyPdf,
  priceListCsv,
} from '#tests/helpers/document_fixtures'

/** The conversion error a promise rejects with; fails the test if it resolves or throws anything else. */
async function conversionError(promise: Promise<unknown>): Promise<ConversionError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ConversionError) return error
    throw new Error(`Expected a ConversionError, got ${(error as Error)?.stack ?? error}`)
  }
  throw new Error('Expected the conversion to fail')
}

async function failsWith(promise: Promise<unknown>, code: ConversionErrorCode) {
  const error = await conversionError(promise)
  if (error.code !== code) throw new Error(`Expected ${code}, got ${error.code}: ${error.message}`)
  return error
}

test.group('Conversion | PDF', () => {
  test('a multi-page PDF keeps its pages as markers and its section titles as headings', async ({
    assert,
  }) => {
    const document = await convertFile({
      bytes: policyPdf(),
      filename: 'policy.pdf',
      mimeType: 'application/pdf',
    })

    assert.equal(document.title, 'Professional Indemnity Policy')
    assert.equal(document.pages, 3)
    assert.equal(document.language, 'english')
    const markers = document.markdown.match(/^<!-- page: \d+ -->$/gm)
    assert.deepEqual(markers, ['<!-- page: 1 -->', '<!-- page: 2 -->', '<!-- page: 3 -->'])
    assert.match(document.markdown, /^## 1 Definitions$/m)
    assert.match(document.markdown, /^## Section 4 Exclusions$/m)
    assert.match(document.markdown, /^### 4\.2 Locum work$/m)
    // Sentences wrapped over lines come back as one paragraph.
    assert.include(
      document.markdown,
      'Insured means the person named in the schedule. Claim means a written demand'
    )
    // "Tell us ... within 30 days" is a sentence, not a heading.
    assert.notMatch(document.markdown, /^#+ Tell us/m)
  })

  test('chunks of a converted PDF carry heading paths and page numbers', async ({ assert }) => {
    const document = await convertFile({ bytes: policyPdf(), filename: 'policy.pdf' })
    const chunks = chunkMarkdown(document.markdown)

    const locum = chunks.find((chunk) => chunk.text.includes('locum for another practice'))!
    assert.deepEqual(locum.headingPath, ['Section 4 Exclusions', '4.2 Locum work'])
    assert.equal(locum.page, 2)
    const claims = chunks.find((chunk) => chunk.text.includes('within 30 days'))!
    assert.deepEqual(claims.headingPath, ['5 Claims Procedure'])
    assert.equal(claims.page, 3)
    assert.isFalse(chunks.some((chunk) => chunk.text.includes('<!--')))
  })

  test('the type comes from the bytes: a PDF named .txt is still read as a PDF', async ({
    assert,
  }) => {
    const document = await convertFile({
      bytes: policyPdf(),
      filename: 'notes.txt',
      mimeType: 'text/plain',
    })
    assert.equal(document.pages, 3)
  })

  test('a PDF over the page limit is refused before its text is extracted', async ({ assert }) => {
    const pages = Array.from({ length: 6 }, (_, i) => [`Page ${i + 1} says something useful here.`])
    const error = await failsWith(
      convertFile({ bytes: buildPdf(pages), filename: 'long.pdf' }, { maxPages: 5 }),
      'too_many_pages'
    )
    assert.deepEqual(error.detail, { pages: 6, maxPages: 5 })
  })

  test('a file over the size limit is refused before any parsing', async ({ assert }) => {
    // Not a valid PDF: parsing it would report "corrupt", so "too_large" proves
    // the size was checked first.
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2048, 0x41)])
    const error = await failsWith(
      convertFile({ bytes, filename: 'big.pdf' }, { maxBytes: 1024 }),
      'too_large'
    )
    assert.equal(error.detail?.maxBytes, 1024)
  })

  test('a password-protected PDF is reported as encrypted', async () => {
    await failsWith(
      convertFile({ bytes: policyPdf({ userPassword: 'secret' }), filename: 'locked.pdf' }),
      'encrypted'
    )
  })

  test('a damaged PDF is reported as corrupt, with no library stack', async ({ assert }) => {
    const truncated = policyPdf().subarray(0, 300)
    const error = await failsWith(
      convertFile({ bytes: truncated, filename: 'broken.pdf' }),
      'corrupt'
    )
    assert.notInclude(error.message, 'at ')
    await failsWith(
      convertFile({ bytes: Buffer.from('just some words'), filename: 'fake.pdf' }),
      'corrupt'
    )
  })

  test('a scanned PDF with no text layer is reported as empty, saying why', async ({ assert }) => {
    const error = await failsWith(
      convertFile({ bytes: buildPdf([[], []]), filename: 'scan.pdf' }),
      'empty'
    )
    assert.match(error.message, /scanned/)
  })
})

test.group('Conversion | Word documents', () => {
  test('a DOCX keeps its headings, list items and tables', async ({ assert }) => {
    const bytes = await buildDocx([
      { kind: 'h1', text: 'Staff Handbook' },
      { kind: 'p', text: 'Welcome to the clinic. Read this before your first day.' },
      { kind: 'h2', text: 'Leave' },
      { kind: 'bullet', text: 'Annual leave is 30 days.' },
      { kind: 'bullet', text: 'Sick leave needs a doctor’s note.' },
      {
        kind: 'table',
        rows: [
          ['Grade', 'Days'],
          ['Junior', '22'],
          ['Senior', '30'],
        ],
      },
    ])
    const document = await convertFile({ bytes, filename: 'handbook.docx' })

    assert.equal(document.title, 'Staff Handbook')
    assert.isNull(document.pages)
    assert.equal(document.language, 'english')
    assert.match(document.markdown, /^# Staff Handbook$/m)
    assert.match(document.markdown, /^## Leave$/m)
    assert.match(document.markdown, /^-\s+Annual leave is 30 days\.$/m)
    assert.include(
      document.markdown,
      '| Grade | Days |\n| --- | --- |\n| Junior | 22 |\n| Senior | 30 |'
    )

    const leave = chunkMarkdown(document.markdown).find((chunk) => chunk.text.includes('Senior'))!
    assert.deepEqual(leave.headingPath, ['Staff Handbook', 'Leave'])
  })

  test('an Arabic DOCX is detected as Arabic', async ({ assert }) => {
    const bytes = await buildDocx(
      [
        { kind: 'h1', text: 'سياسة الإلغاء' },
        {
          kind: 'p',
          text: 'يمكنك إلغاء الموعد قبل أربع وعشرين ساعة دون رسوم. هل تريد تغيير الموعد؟ اتصل بنا.',
        },
      ],
      { rtl: true }
    )
    const document = await convertFile({ bytes, filename: 'سياسة.docx' })
    assert.equal(document.title, 'سياسة الإلغاء')
    assert.equal(document.language, 'arabic')
    assert.include(document.markdown, 'هل تريد تغيير الموعد؟')
  })

  test('a password-protected DOCX (an OLE container with an EncryptedPackage) is reported as encrypted', async () => {
    const header = Buffer.from('d0cf11e0a1b11ae1', 'hex')
    const directory = Buffer.from('EncryptionInfo\0EncryptedPackage\0', 'utf16le')
    const bytes = Buffer.concat([header, Buffer.alloc(504), directory, Buffer.alloc(256)])
    await failsWith(convertFile({ bytes, filename: 'locked.docx' }), 'encrypted')
  })

  test('a damaged DOCX is corrupt; another ZIP or an old .doc is an unsupported type', async () => {
    const docx = await buildDocx([{ kind: 'p', text: 'Hello there, this is a document.' }])
    await failsWith(
      convertFile({ bytes: docx.subarray(0, docx.length - 40), filename: 'cut.docx' }),
      'corrupt'
    )
    await failsWith(
      convertFile({ bytes: Buffer.from('plain words'), filename: 'fake.docx' }),
      'corrupt'
    )
    await failsWith(
      convertFile({ bytes: await buildOtherZip(), filename: 'letter.odt' }),
      'unsupported_type'
    )
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(512)])
    await failsWith(convertFile({ bytes: ole, filename: 'old.doc' }), 'unsupported_type')
  })
})

test.group('Conversion | HTML, Markdown, text', () => {
  test('an HTML page keeps its main content and drops navigation, banners, forms, footers and scripts', async ({
    assert,
  }) => {
    const document = await convertFile({
      bytes: Buffer.from(clinicPageHtml()),
      filename: 'hours.html',
    })

    assert.equal(document.title, 'Opening Hours')
    assert.match(document.markdown, /^# Opening Hours and Fees$/m)
    assert.include(document.markdown, '| Service | Price (AED) | Duration |\n| --- | --- | --- |')
    assert.include(document.markdown, '| Specialist \\| follow-up | 400 | 30 min |')
    assert.match(document.markdown, /^-\s+Your insurance card$/m)
    for (const furniture of [
      'Our doctors',
      'cookies',
      'Latest news',
      'newsletter',
      'Copyright',
      'analytics',
      'tracking',
      'font-family',
    ]) {
      assert.notInclude(document.markdown, furniture)
    }
  })

  test('a page with no <main> or <article> is narrowed to its densest block', async ({
    assert,
  }) => {
    const document = await convertFile({
      bytes: Buffer.from(clinicPageHtml({ main: 'none' })),
      filename: 'page.htm',
    })
    assert.include(document.markdown, 'open Sunday to Thursday')
    assert.match(document.markdown, /^# Opening Hours and Fees$/m)
    for (const furniture of ['Our doctors', 'cookies', 'Latest news', 'Copyright']) {
      assert.notInclude(document.markdown, furniture)
    }
  })

  test('an Arabic page declared in a legacy charset is decoded and detected as Arabic', async ({
    assert,
  }) => {
    const html = arabicPageHtml().replace('<meta charset="utf-8">', '<meta charset="iso-8859-6">')
    const document = await convertFile({ bytes: encodeIso88596(html), filename: 'hours.html' })
    assert.equal(document.title, 'ساعات العمل')
    assert.equal(document.language, 'arabic')
    assert.include(document.markdown, 'هل تحتاج إلى موعد؟')
    assert.notInclude(document.markdown, 'الرئيسية')
    assert.notInclude(document.markdown, 'جميع الحقوق محفوظة')
  })

  test('Markdown is kept as written and titled by its first heading; text is kept whole', async ({
    assert,
  }) => {
    const markdown =
      '# Returns\n\nItems can be returned within **14 days**.\n\n## Refunds\n\nRefunds take 5 working days.'
    const md = await convertFile({ bytes: Buffer.from(markdown), filename: 'returns.md' })
    assert.equal(md.title, 'Returns')
    assert.equal(md.markdown, markdown)

    const text = await convertFile({
      bytes: Buffer.from('\ufeffWe are closed on public holidays.\r\n'),
      filename: 'notice.txt',
    })
    assert.isNull(text.title)
    assert.equal(text.markdown, 'We are closed on public holidays.')
  })

  test('UTF-16 text with a byte-order mark is decoded', async ({ assert }) => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('مرحبا بكم في العيادة', 'utf16le'),
    ])
    const document = await convertFile({ bytes, filename: 'welcome.txt' })
    assert.equal(document.markdown, 'مرحبا بكم في العيادة')
    assert.equal(document.language, 'arabic')
  })

  test('an empty or blank file is reported as empty; an image as an unsupported type', async () => {
    await failsWith(
      convertFile({ bytes: Buffer.from('  \n\n \t'), filename: 'blank.txt' }),
      'empty'
    )
    await failsWith(convertFile({ bytes: Buffer.alloc(0), filename: 'nothing.md' }), 'empty')
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64)])
    await failsWith(
      convertFile({ bytes: png, filename: 'photo.png', mimeType: 'image/png' }),
      'unsupported_type'
    )
    await failsWith(
      convertFile({ bytes: Buffer.from('a,b'), filename: 'sheet.xlsx' }),
      'unsupported_type'
    )
  })
})

test.group('Conversion | CSV', () => {
  test('every row of a price list names its columns, with quotes, commas, line breaks and a BOM handled', async ({
    assert,
  }) => {
    const document = await convertFile({
      bytes: priceListCsv(),
      filename: 'price_list.csv',
      mimeType: 'text/csv',
    })

    assert.equal(document.title, 'price list')
    const lines = document.markdown.split('\n').filter((line) => line.startsWith('- '))
    assert.deepEqual(lines, [
      '- Service: General consultation; Price (AED): 250; Notes: Includes a basic check-up',
      '- Service: Dental cleaning; Price (AED): 350; Notes: Scaling, polishing and fluoride',
      '- Service: Teeth whitening; Price (AED): 1,200; Notes: Two sessions booked a week apart',
      '- Service: Root canal "molar"; Price (AED): 2500',
    ])
    assert.notInclude(document.markdown, '\ufeff')
  })

  test('a semicolon-separated export reads the same', async ({ assert }) => {
    const comma = await convertFile({ bytes: priceListCsv(), filename: 'prices.csv' })
    const semicolon = await convertFile({
      bytes: priceListCsv({ delimiter: ';', bom: false }),
      filename: 'prices.csv',
    })
    assert.equal(semicolon.markdown, comma.markdown)
  })

  test('a long price list is chunked with whole rows, each still naming its price', async ({
    assert,
  }) => {
    const rows = ['Item,Price']
    for (let i = 1; i <= 200; i++) rows.push(`Service number ${i},${i * 10}`)
    const document = await convertFile({
      bytes: Buffer.from(rows.join('\n')),
      filename: 'services.csv',
    })
    const chunks = chunkMarkdown(document.markdown)
    assert.isAbove(chunks.length, 3)
    for (const chunk of chunks) {
      for (const line of chunk.text.split('\n'))
        assert.match(line, /^- Item: Service number \d+; Price: \d+$/)
    }
    assert.isTrue(
      chunks.some((chunk) => chunk.text.includes('- Item: Service number 137; Price: 1370'))
    )
  })

  test('a header with no rows is empty', async () => {
    await failsWith(
      convertFile({ bytes: Buffer.from('Service,Price\n'), filename: 'empty.csv' }),
      'empty'
    )
  })
})

test.group('Conversion | text, FAQ and language', () => {
  test('pasted text keeps its title and words', ({ assert }) => {
    const document = convertText('Parking', 'Free parking is available behind the building.')
    assert.deepEqual(document, {
      title: 'Parking',
      markdown: 'Free parking is available behind the building.',
      pages: null,
      language: 'english',
    })
    assert.throws(
      () => convertText('Nothing', '   '),
      'The document contains no text to learn from.'
    )
  })

  test('each FAQ pair becomes a section headed by its question', ({ assert }) => {
    const document = convertFaq('Clinic FAQ', [
      { question: 'Do you take walk-ins?', answer: 'Yes, until 6pm every weekday.' },
      { question: '  ', answer: 'An answer with no question is dropped.' },
      { question: 'هل يوجد موقف سيارات؟', answer: 'نعم، الموقف مجاني للمرضى.' },
    ])
    assert.equal(
      document.markdown,
      '## Do you take walk-ins?\n\nYes, until 6pm every weekday.\n\n## هل يوجد موقف سيارات؟\n\nنعم، الموقف مجاني للمرضى.'
    )
    const chunks = chunkMarkdown(document.markdown)
    assert.deepEqual(
      chunks.map((chunk) => chunk.headingPath),
      [['Do you take walk-ins?'], ['هل يوجد موقف سيارات؟']]
    )
  })

  test('language: Arabic when Arabic letters dominate, English with English stop words, else simple', ({
    assert,
  }) => {
    assert.equal(detectLanguage('العيادة مفتوحة من الأحد إلى الخميس. Call 800 1234.'), 'arabic')
    assert.equal(detectLanguage('The clinic is open from Sunday to Thursday.'), 'english')
    assert.equal(detectLanguage('La clinique est ouverte du dimanche au jeudi.'), 'simple')
    assert.equal(detectLanguage('Клиника открыта с воскресенья по четверг.'), 'simple')
    assert.equal(detectLanguage('12345 67 89'), 'simple')
    // An English sentence quoting a little Arabic is still English.
    assert.equal(
      detectLanguage('Our address is on the Corniche, or كورنيش in Arabic, and we are open today.'),
      'english'
    )
  })
})
