import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import type { SearchHit } from '#modules/brain/services/search'
import {
  NOT_COVERED_MARKER,
  answerMode,
  answerQuestion,
  answerWithModel,
} from '#modules/brain/services/answers'
import { makeTenant } from '#tests/helpers/tenants'
import { learnText } from '#tests/helpers/brain'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'

function hit(text: string, overrides: Partial<SearchHit> = {}): SearchHit {
  return {
    chunkId: randomUUID(),
    sourceId: randomUUID(),
    title: 'Malpractice policy wording',
    headingPath: [],
    page: null,
    url: null,
    text,
    score: 2 / 61,
    lexicalRank: 1,
    vectorRank: 1,
    ...overrides,
  }
}

const LOCUM = hit(
  'Your cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice, provided the work is within your declared specialty.',
  { headingPath: ['4. Locum cover'], page: 7, url: 'https://broker.example/policy.pdf' }
)
const CANCEL = hit(
  'You may cancel this policy within 14 days of receiving your documents and we will refund the premium in full. After that, a refund is pro rata less an administration fee of AED 350.',
  { headingPath: ['12. Cancellation'], lexicalRank: 2, vectorRank: 3, score: 1 / 62 + 1 / 63 }
)
const HITS = [LOCUM, CANCEL]

const POLICY = `# Clinicians' malpractice policy

## Locum cover

Your cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice.

## Cancellation

You may cancel within 14 days for a full refund; after that an administration fee of AED 350 applies.`

function json(answer: string, citations: number[], confidence = 0.9, covered = true) {
  return JSON.stringify({ answer, citations, covered, confidence })
}

test.group('Answers with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })

  test('sends the question with the numbered passages and cites what the model used', async ({
    assert,
  }) => {
    ai.respond(() =>
      json('Yes: locum work is covered automatically on your usual terms [1].', [1], 0.92)
    )
    const answer = await answerWithModel('Am I covered when I work as a locum?', HITS)

    const [call] = ai.chatCalls()
    assert.equal(call.authorization, 'Bearer test-key')
    assert.equal(call.body.model, 'chat-test')
    const [system, user] = call.body.messages
    assert.equal(system.role, 'system')
    assert.include(system.content, 'ONLY the numbered passages')
    assert.include(system.content, `exactly ${NOT_COVERED_MARKER}`)
    assert.include(system.content, 'Write the answer in English')
    assert.equal(user.role, 'user')
    assert.include(user.content, '[1] Malpractice policy wording › 4. Locum cover (page 7)')
    assert.include(user.content, LOCUM.text)
    assert.include(user.content, '[2] Malpractice policy wording › 12. Cancellation')
    assert.include(user.content, 'Question: Am I covered when I work as a locum?')

    assert.equal(answer.mode, 'llm')
    assert.isFalse(answer.handoff)
    assert.isUndefined(answer.reason)
    assert.equal(answer.text, 'Yes: locum work is covered automatically on your usual terms [1].')
    assert.lengthOf(answer.citations, 1)
    assert.deepInclude(answer.citations[0], {
      n: 1,
      chunkId: LOCUM.chunkId,
      sourceId: LOCUM.sourceId,
      title: 'Malpractice policy wording',
      headingPath: ['4. Locum cover'],
      page: 7,
      url: 'https://broker.example/policy.pdf',
    })
    assert.include(answer.citations[0].quote, 'Locum engagements are covered automatically')
    assert.isAbove(answer.confidence, 0.6)
    assert.isAtMost(answer.confidence, 1)
  })

  test('the refusal marker becomes a handoff, in the question’s language', async ({ assert }) => {
    ai.respond(() => json(NOT_COVERED_MARKER, [], 0.1, false))
    const english = await answerWithModel('Is my car insured on home visits?', HITS)
    assert.isTrue(english.handoff)
    assert.equal(english.reason, 'not_covered')
    assert.equal(english.mode, 'llm')
    assert.deepEqual(english.citations, [])
    assert.include(english.text, "documents don't cover this question")

    // A model that ignores the JSON format and answers with the bare marker.
    ai.respond(() => NOT_COVERED_MARKER)
    const arabic = await answerWithModel('هل سيارتي مؤمنة أثناء الزيارات المنزلية؟', HITS)
    assert.include(ai.chatCalls()[1].body.messages[0].content, 'Write the answer in Arabic')
    assert.isTrue(arabic.handoff)
    assert.equal(arabic.reason, 'not_covered')
    assert.include(arabic.text, 'لا تتناول مستنداتنا هذا السؤال')
  })

  test('a citation of a passage that does not exist is dropped from the text and the list', async ({
    assert,
  }) => {
    ai.respond(() =>
      json('Locum work is covered [1][7]. The fee to cancel is AED 350 [2, 9].', [1, 2, 7, 9])
    )
    const answer = await answerWithModel(
      'Is locum work covered, and what does cancelling cost?',
      HITS
    )
    assert.equal(answer.text, 'Locum work is covered [1]. The fee to cancel is AED 350 [2].')
    assert.deepEqual(
      answer.citations.map((c) => [c.n, c.chunkId]),
      [
        [1, LOCUM.chunkId],
        [2, CANCEL.chunkId],
      ]
    )
    assert.include(answer.citations[1].quote, 'administration fee of AED 350')

    // Citations are renumbered in order of mention: the customer reads [1] first.
    ai.respond(() => json('The fee is AED 350 [2]; locum work is covered [1].', [2, 1]))
    const renumbered = await answerWithModel('What is the fee, and is locum work covered?', HITS)
    assert.equal(renumbered.text, 'The fee is AED 350 [1]; locum work is covered [2].')
    assert.deepEqual(
      renumbered.citations.map((c) => c.chunkId),
      [CANCEL.chunkId, LOCUM.chunkId]
    )
  })

  test('an answer citing only passages that do not exist is not given', async ({ assert }) => {
    ai.respond(() => json('Yes, dental implants are covered up to AED 90,000 [5].', [5], 0.95))
    const answer = await answerWithModel('Are dental implants covered?', HITS)
    assert.isTrue(answer.handoff)
    assert.equal(answer.reason, 'low_confidence')
    assert.deepEqual(answer.citations, [])
    assert.notInclude(answer.text, '90,000')
  })

  test('prose that ignores the requested format is still read, citations and all', async ({
    assert,
  }) => {
    ai.respond(() => 'Locum engagements are covered automatically [1].')
    const answer = await answerWithModel('Is locum work covered?', HITS)
    assert.isFalse(answer.handoff)
    assert.equal(answer.text, 'Locum engagements are covered automatically [1].')
    assert.equal(answer.citations[0].chunkId, LOCUM.chunkId)
  })

  test('the prompt carries the reply rules: answer first, numbers as written, sentences checked', async ({
    assert,
  }) => {
    ai.respond(() => json('Locum work is covered [1].', [1]))
    await answerWithModel('Is locum work covered?', HITS, { persona: { name: 'Sara' } })
    const [system] = ai.chatCalls()[0].body.messages
    assert.include(system.content, 'Your name is Sara.')
    assert.include(system.content, 'Lead with the answer itself in one or two sentences')
    assert.include(system.content, 'exactly as the passages write them')
    assert.include(system.content, 'checked against the passages it cites')
  })

  test('a sentence the passages do not support is removed before the customer reads it', async ({
    assert,
  }) => {
    ai.respond(() =>
      json(
        'After 14 days a refund is pro rata less an administration fee of AED 350 [2]. Locum engagements are covered automatically [1]. We also refund the fee to members of ten years standing [2].',
        [1, 2]
      )
    )
    const answer = await answerWithModel('What does cancelling cost?', HITS)
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'AED 350 [1]')
    assert.include(answer.text, 'Locum engagements are covered automatically [2]')
    assert.notInclude(answer.text, 'ten years')
  })

  test('an answer whose sentences the passages mostly do not support becomes a handoff', async ({
    assert,
  }) => {
    ai.respond(() =>
      json(
        'The administration fee is AED 500 [2]. Cancellation is free for doctors over 60 [2]. Locum work is covered [1].',
        [1, 2]
      )
    )
    const answer = await answerWithModel('What does cancelling cost?', HITS)
    assert.isTrue(answer.handoff)
    assert.equal(answer.reason, 'low_confidence')
    assert.notInclude(answer.text, '500')
  })

  test('a malformed reply falls back to the extractive answer', async ({ assert }) => {
    ai.respond(
      () => '{"answer": "Locum engagements are covered automatically [1]", "citations": [1'
    )
    const answer = await answerWithModel('Am I covered when I work as a locum?', HITS)
    assert.equal(answer.mode, 'extractive')
    assert.equal(answer.reason, 'model_error')
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'Locum engagements are covered automatically')
    assert.equal(answer.citations[0].chunkId, LOCUM.chunkId)
  })

  test('a 500 is retried and the second answer is used', async ({ assert }) => {
    ai.fail(500, 'server_error', 'The server had an error', { 'retry-after-ms': '10' })
    ai.respond(() => json('Locum work is covered [1].', [1]))
    const answer = await answerWithModel('Is locum work covered?', HITS, {
      provider: { maxRetries: 2 },
    })
    assert.lengthOf(ai.chatCalls(), 2)
    assert.equal(answer.mode, 'llm')
    assert.isFalse(answer.handoff)
    assert.equal(answer.text, 'Locum work is covered [1].')
  })

  test('a model that keeps failing (429 after retries) falls back to the extractive answer', async ({
    assert,
  }) => {
    for (let i = 0; i < 3; i++) {
      ai.fail(429, 'rate_limit_exceeded', 'Rate limit reached', { 'retry-after-ms': '10' })
    }
    const answer = await answerWithModel('Am I covered when I work as a locum?', HITS, {
      provider: { maxRetries: 2 },
    })
    assert.lengthOf(ai.chatCalls(), 3)
    assert.equal(answer.mode, 'extractive')
    assert.equal(answer.reason, 'model_error')
    assert.isFalse(answer.handoff)
    assert.equal(answer.citations[0].chunkId, LOCUM.chunkId)
  })

  test('a model that does not answer in time falls back to the extractive answer', async ({
    assert,
  }) => {
    ai.respond(async () => {
      await sleep(2_000)
      return json('Too late [1].', [1])
    })
    const started = Date.now()
    const answer = await answerWithModel('Am I covered when I work as a locum?', HITS, {
      provider: { timeoutMs: 300, maxRetries: 0 },
    })
    assert.isBelow(Date.now() - started, 1_500)
    assert.equal(answer.mode, 'extractive')
    assert.equal(answer.reason, 'model_error')
    assert.include(answer.text, 'Locum engagements are covered automatically')
  })

  test('answerQuestion searches the tenant, passes contact memory, and holds no transaction while the model thinks', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('answer')
    cleanup(drop)
    await learnText(context, 'Malpractice policy', POLICY)
    assert.equal(answerMode(), 'llm')

    let databaseDuringCall = false
    ai.respond(async () => {
      // In the embedded database one open transaction holds everything: this
      // would wait forever if the search's transaction were still open.
      const result = await context.transaction((trx) => trx.rawQuery('select 1 as one'))
      databaseDuringCall = result.rows[0].one === 1
      return json('Yes, locum work is covered automatically [1].', [1])
    })
    const answer = await answerQuestion(context, 'Is my locum work covered?', {
      contactMemory: 'Name: Dr Layla Haddad. Specialty: anaesthesia.',
    })
    assert.isTrue(databaseDuringCall)
    const prompt = ai.chatCalls()[0].body.messages[1].content as string
    assert.include(prompt, 'Locum engagements are covered automatically')
    assert.include(prompt, 'Name: Dr Layla Haddad. Specialty: anaesthesia.')
    assert.equal(answer.mode, 'llm')
    assert.isFalse(answer.handoff)
    assert.include(answer.citations[0].headingPath, 'Locum cover')
    assert.equal(answer.citations[0].title, 'Malpractice policy')
  })

  test('another tenant’s knowledge never reaches the model or the answer', async ({
    assert,
    cleanup,
  }) => {
    const owner = await makeTenant('answer')
    cleanup(owner.cleanup)
    const other = await makeTenant('answer')
    cleanup(other.cleanup)
    await learnText(owner.context, 'Malpractice policy', POLICY)

    const answer = await answerQuestion(other.context, 'Is my locum work covered?')
    assert.lengthOf(ai.chatCalls(), 0)
    assert.isTrue(answer.handoff)
    assert.equal(answer.reason, 'no_knowledge')
    assert.deepEqual(answer.citations, [])
  })
})

test.group('Answer mode', () => {
  test('extractive without a chat model, llm with one', async ({ assert, cleanup }) => {
    const previous = { ...app.config.get<Record<string, unknown>>('ai') }
    cleanup(() => app.config.set('ai', previous))
    app.config.set('ai', { ...previous, baseUrl: null, chatModel: null })
    assert.equal(answerMode(), 'extractive')
    app.config.set('ai', { ...previous, baseUrl: 'http://127.0.0.1:9/v1', chatModel: null })
    assert.equal(answerMode(), 'extractive')
    app.config.set('ai', { ...previous, baseUrl: 'http://127.0.0.1:9/v1', chatModel: 'chat-test' })
    assert.equal(answerMode(), 'llm')
  })

  test('without a chat model answerQuestion quotes the knowledge itself', async ({
    assert,
    cleanup,
  }) => {
    const previous = { ...app.config.get<Record<string, unknown>>('ai') }
    cleanup(() => app.config.set('ai', previous))
    app.config.set('ai', { ...previous, baseUrl: null, chatModel: null, embedModel: null })
    const { context, cleanup: drop } = await makeTenant('answer')
    cleanup(drop)
    await learnText(context, 'Malpractice policy', POLICY)

    const answer = await answerQuestion(context, 'Is my locum work covered?')
    assert.equal(answer.mode, 'extractive')
    assert.isFalse(answer.handoff)
    assert.include(answer.citations[0].quote, 'Locum engagements are covered automatically')
    const refused = await answerQuestion(context, 'Do you sell life insurance for doctors?')
    assert.isTrue(refused.handoff)
    assert.equal(refused.reason, 'not_covered')
  })
})
