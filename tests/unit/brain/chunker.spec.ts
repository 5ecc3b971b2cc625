import { test } from '@japa/runner'
import { chunkMarkdown } from '#modules/brain/services/chunker'

/** A paragraph of `count` distinct, numbered sentences (about 60 characters each). */
function sentences(count: number, prefix = 'Clause') {
  return Array.from(
    { length: count },
    (_, i) => `${prefix} ${i + 1} sets out one more condition of the cover.`
  ).join(' ')
}

test.group('Chunker | structure', () => {
  test('splits at headings and keeps the heading path of each chunk', ({ assert }) => {
    const markdown = [
      '# Policy',
      'Intro text for the whole policy.',
      '## Section 4 Exclusions',
      'We will not pay for the following.',
      '### 4.2 Locum work',
      'Locum work is not covered unless declared.',
      '## Section 5 Claims',
      'Tell us within 30 days.',
    ].join('\n\n')
    const chunks = chunkMarkdown(markdown)

    assert.deepEqual(
      chunks.map(({ ordinal, text, headingPath }) => ({ ordinal, text, headingPath })),
      [
        { ordinal: 0, text: 'Intro text for the whole policy.', headingPath: ['Policy'] },
        {
          ordinal: 1,
          text: 'We will not pay for the following.',
          headingPath: ['Policy', 'Section 4 Exclusions'],
        },
        {
          ordinal: 2,
          text: 'Locum work is not covered unless declared.',
          headingPath: ['Policy', 'Section 4 Exclusions', '4.2 Locum work'],
        },
        // A heading of the same level closes the one before, and its children.
        {
          ordinal: 3,
          text: 'Tell us within 30 days.',
          headingPath: ['Policy', 'Section 5 Claims'],
        },
      ]
    )
  })

  test('heading text loses its Markdown; setext headings count too', ({ assert }) => {
    const chunks = chunkMarkdown(
      'Fees and **Prices** ##\n===\n\nAll prices include VAT.\n\n## [Refunds](https://x.test/r)\n\nWithin 14 days.'
    )
    assert.deepEqual(
      chunks.map((chunk) => chunk.headingPath),
      [['Fees and Prices ##'], ['Fees and Prices ##', 'Refunds']]
    )
  })

  test('page markers set each chunk’s page (where it starts) and are stripped from the text', ({
    assert,
  }) => {
    const markdown = [
      '<!-- page: 1 -->',
      '## Cover',
      sentences(12, 'Cover'),
      '<!-- page: 2 -->',
      sentences(12, 'More'),
      '<!-- page: 3 -->',
      '## Exclusions',
      'Nothing is excluded.',
    ].join('\n\n')
    const chunks = chunkMarkdown(markdown, { targetChars: 500, maxChars: 800, overlapChars: 0 })

    assert.isTrue(chunks.every((chunk) => !chunk.text.includes('<!--')))
    assert.deepEqual(
      chunks.map((chunk) => [chunk.page, chunk.text.slice(0, 12)]),
      [
        [1, 'Cover 1 sets'],
        [2, 'More 1 sets '],
        [3, 'Nothing is e'],
      ]
    )
    // A section that runs onto the next page stays one section.
    assert.deepEqual(chunks[1].headingPath, ['Cover'])
  })

  test('a document with no page markers has no pages, and chunks are numbered from 0', ({
    assert,
  }) => {
    const chunks = chunkMarkdown(`${sentences(40)}\n\n${sentences(40, 'Rule')}`)
    assert.isTrue(chunks.every((chunk) => chunk.page === null))
    assert.deepEqual(
      chunks.map((chunk) => chunk.ordinal),
      chunks.map((_, i) => i)
    )
  })

  test('there are no empty chunks, and a heading-only document keeps its words', ({ assert }) => {
    assert.deepEqual(chunkMarkdown(''), [])
    assert.deepEqual(chunkMarkdown('\n\n  \n<!-- page: 1 -->\n\n'), [])
    const chunks = chunkMarkdown('# Contents\n\n## Opening hours\n\n   \n\n## Prices')
    assert.lengthOf(chunks, 1)
    assert.equal(chunks[0].text, 'Contents\nOpening hours\nPrices')
    for (const chunk of chunkMarkdown('# A\n\n\n\nText.\n\n## B\n\n\t\n\n## C\n\nMore.')) {
      assert.isAbove(chunk.text.trim().length, 0)
    }
  })

  test('the same Markdown always gives the same chunks', ({ assert }) => {
    const markdown = `# T\n\n${sentences(80)}\n\n## U\n\n| a | b |\n| - | - |\n${'| x | y |\n'.repeat(200)}`
    assert.deepEqual(chunkMarkdown(markdown), chunkMarkdown(markdown))
  })
})

test.group('Chunker | sizes and overlap', () => {
  test('long prose is cut near the target, never over the maximum, at sentence ends', ({
    assert,
  }) => {
    const chunks = chunkMarkdown(`## Terms\n\n${sentences(100)}`)
    assert.isAbove(chunks.length, 4)
    for (const chunk of chunks) {
      assert.isAtMost(chunk.text.length, 1600)
      assert.match(chunk.text, /^Clause \d+ sets/)
      assert.match(chunk.text, /cover\.$/)
    }
    // All but the last are reasonably full.
    for (const chunk of chunks.slice(0, -1)) assert.isAtLeast(chunk.text.length, 700)
  })

  test('consecutive chunks of a section overlap by whole sentences of about 150 characters', ({
    assert,
  }) => {
    const chunks = chunkMarkdown(`## Terms\n\n${sentences(100)}`)
    assert.isAbove(chunks.length, 2)
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1].text
      const current = chunks[i].text
      // The longest start of this chunk that ends the previous one.
      let overlap = ''
      for (let k = Math.min(previous.length, current.length); k > 0; k--) {
        if (previous.endsWith(current.slice(0, k))) {
          overlap = current.slice(0, k)
          break
        }
      }
      assert.match(
        overlap,
        /^Clause \d+ sets .*cover\.$/,
        `chunk ${i} opens with whole sentences of chunk ${i - 1}`
      )
      assert.isAtMost(overlap.length, 300)
      assert.isAtLeast(overlap.length, 50)
    }
  })

  test('overlap never crosses a heading', ({ assert }) => {
    const chunks = chunkMarkdown(
      `## One\n\n${sentences(30, 'First')}\n\n## Two\n\n${sentences(3, 'Second')}`
    )
    const second = chunks.find((chunk) => chunk.headingPath[0] === 'Two')!
    assert.equal(second.text, sentences(3, 'Second'))
  })

  test('options change the target, maximum and overlap', ({ assert }) => {
    const chunks = chunkMarkdown(sentences(30), {
      targetChars: 200,
      maxChars: 300,
      overlapChars: 0,
    })
    assert.isAbove(chunks.length, 6)
    for (const chunk of chunks) assert.isAtMost(chunk.text.length, 300)
    // Without overlap, the chunks rebuild the text exactly.
    assert.equal(chunks.map((chunk) => chunk.text).join(' '), sentences(30))
  })

  test('a sentence longer than the maximum is cut at a clause, then at a space', ({ assert }) => {
    const long = Array.from({ length: 60 }, (_, i) => `item ${i}`).join(', ') + '.'
    const chunks = chunkMarkdown(long, { targetChars: 100, maxChars: 150, overlapChars: 0 })
    for (const chunk of chunks) {
      assert.isAtMost(chunk.text.length, 150)
      assert.match(chunk.text, /(,|\.)$/)
    }
    assert.equal(chunks.map((chunk) => chunk.text).join(' '), long)
  })
})

test.group('Chunker | tables, code and lists', () => {
  test('a long table is cut between rows and every part repeats the header', ({ assert }) => {
    const rows = Array.from(
      { length: 80 },
      (_, i) => `| Service ${i} | ${i * 10} AED | Note for row ${i} |`
    )
    const table = ['| Service | Price | Notes |', '| --- | --- | --- |', ...rows].join('\n')
    const chunks = chunkMarkdown(`## Prices\n\n${table}`)

    assert.isAbove(chunks.length, 1)
    const seen: string[] = []
    for (const chunk of chunks) {
      const lines = chunk.text.split('\n')
      assert.equal(lines[0], '| Service | Price | Notes |')
      assert.equal(lines[1], '| --- | --- | --- |')
      for (const line of lines.slice(2))
        assert.match(line, /^\| Service \d+ \| \d+ AED \| Note for row \d+ \|$/)
      seen.push(...lines.slice(2))
      assert.isAtMost(chunk.text.length, 1600)
      assert.deepEqual(chunk.headingPath, ['Prices'])
    }
    assert.deepEqual(seen, rows)
  })

  test('a code block is never split while it fits, and stays fenced when it must be', ({
    assert,
  }) => {
    const code =
      '```js\n' +
      Array.from({ length: 30 }, (_, i) => `const value${i} = ${i}`).join('\n') +
      '\n```'
    const chunks = chunkMarkdown(`${sentences(14)}\n\n${code}\n\nAfter the code.`)
    assert.isTrue(chunks.some((chunk) => chunk.text.includes(code)))

    const huge =
      '```\n' +
      Array.from({ length: 200 }, (_, i) => `line number ${i} of the script`).join('\n') +
      '\n```'
    const parts = chunkMarkdown(huge)
    assert.isAbove(parts.length, 1)
    for (const part of parts) {
      assert.match(part.text, /^```\n/)
      assert.match(part.text, /\n```$/)
      assert.isAtMost(part.text.length, 1600)
    }
  })

  test('a heading-like line inside a code block is not a heading', ({ assert }) => {
    const chunks = chunkMarkdown('## Setup\n\n```sh\n# install the tools\nnpm ci\n```')
    assert.lengthOf(chunks, 1)
    assert.deepEqual(chunks[0].headingPath, ['Setup'])
    assert.include(chunks[0].text, '# install the tools')
  })

  test('list items are kept whole', ({ assert }) => {
    const items = Array.from(
      { length: 40 },
      (_, i) =>
        `- Benefit ${i}: covers the cost of treatment type ${i}\n  including follow-up visits.`
    )
    const chunks = chunkMarkdown(`## Benefits\n\n${items.join('\n')}`)
    assert.isAbove(chunks.length, 1)
    const seen: string[] = []
    for (const chunk of chunks) {
      const found = chunk.text.split(/\n(?=- )/)
      for (const item of found)
        assert.match(
          item,
          /^- Benefit \d+: covers the cost of treatment type \d+\n {2}including follow-up visits\.$/
        )
      seen.push(...found)
    }
    assert.deepEqual(seen, items)
  })
})

test.group('Chunker | Arabic', () => {
  test('Arabic prose is cut at Arabic sentence punctuation (؟ ؛) and keeps its heading path', ({
    assert,
  }) => {
    const sentence = (i: number) =>
      i % 3 === 0
        ? `هل يغطي التأمين العلاج رقم ${i} في العيادة؟`
        : i % 3 === 1
          ? `تغطي الوثيقة تكاليف العلاج رقم ${i} بالكامل؛`
          : `يجب إبلاغنا بالمطالبة رقم ${i} خلال ثلاثين يوماً.`
    const text = Array.from({ length: 60 }, (_, i) => sentence(i)).join(' ')
    const chunks = chunkMarkdown(`# وثيقة التأمين\n\n## الاستثناءات\n\n${text}`, {
      overlapChars: 0,
    })

    assert.isAbove(chunks.length, 1)
    for (const chunk of chunks) {
      assert.deepEqual(chunk.headingPath, ['وثيقة التأمين', 'الاستثناءات'])
      assert.match(chunk.text, /[؟؛.]$/)
      assert.isAtMost(chunk.text.length, 1600)
    }
    assert.equal(chunks.map((chunk) => chunk.text).join(' '), text)
  })

  test('Arabic overlap starts at a sentence boundary', ({ assert }) => {
    const text = Array.from({ length: 90 }, (_, i) => `هذه الجملة رقم ${i} من شروط الوثيقة؟`).join(
      ' '
    )
    const chunks = chunkMarkdown(text)
    assert.isAbove(chunks.length, 1)
    for (const chunk of chunks.slice(1)) assert.match(chunk.text, /^هذه الجملة رقم \d+/)
  })

  test('a long Arabic sentence is cut after an Arabic comma', ({ assert }) => {
    const long = Array.from({ length: 40 }, (_, i) => `البند ${i}`).join('، ') + '.'
    const chunks = chunkMarkdown(long, { targetChars: 100, maxChars: 150, overlapChars: 0 })
    assert.isAbove(chunks.length, 1)
    for (const chunk of chunks.slice(0, -1)) assert.match(chunk.text, /،$/)
  })
})
