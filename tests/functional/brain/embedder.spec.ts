import { test } from '@japa/runner'
import {
  EmbeddingError,
  OpenAIEmbedder,
  currentEmbedder,
  localEmbedder,
} from '#modules/brain/index'
import app from '@adonisjs/core/services/app'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'

test.group('OpenAI-compatible embedder', (group) => {
  const server = useFakeOpenAI(group, { embedModel: 'text-embedding-test' })

  test('is chosen when AI_BASE_URL and AI_EMBED_MODEL are set', ({ assert }) => {
    const embedder = currentEmbedder()
    assert.instanceOf(embedder, OpenAIEmbedder)
    assert.equal(embedder.model, 'text-embedding-test')
    assert.equal(embedder.kind, 'remote')
  })

  test('sends batches of 64, in order, and learns the dimension from the answer', async ({
    assert,
  }) => {
    const embedder = new OpenAIEmbedder({ ...app.config.get<any>('ai'), embedDimensions: null })
    assert.equal(embedder.dimensions, 0)
    const texts = Array.from({ length: 130 }, (_, i) => `passage number ${i}`)
    const vectors = await embedder.embed(texts)

    const calls = server.embeddingCalls()
    assert.deepEqual(
      calls.map((call) => call.body.input.length),
      [64, 64, 2]
    )
    assert.equal(calls[0].body.model, 'text-embedding-test')
    assert.equal(calls[0].body.encoding_format, 'float')
    assert.equal(calls[0].authorization, 'Bearer test-key')
    assert.lengthOf(vectors, 130)
    assert.equal(embedder.dimensions, 64)
    // Same text, same vector: the answers were matched to their inputs.
    const [again] = await embedder.embed(['passage number 77'])
    assert.deepEqual(again, vectors[77])
  })

  test('asks for AI_EMBED_DIMENSIONS when set', async ({ assert }) => {
    const embedder = new OpenAIEmbedder({ ...app.config.get<any>('ai'), embedDimensions: 32 })
    const [vector] = await embedder.embed(['hello'])
    assert.lengthOf(vector, 32)
    assert.equal(server.embeddingCalls()[0].body.dimensions, 32)
    assert.equal(embedder.dimensions, 32)
  })

  test('retries rate limits and server errors with backoff, then succeeds', async ({ assert }) => {
    server
      .fail(429, 'rate_limit_exceeded', 'Rate limit reached', { 'retry-after-ms': '20' })
      .fail(503, 'overloaded', 'The server is overloaded', { 'retry-after-ms': '20' })
    const embedder = new OpenAIEmbedder(app.config.get<any>('ai'))
    const [vector] = await embedder.embed(['hello'])
    assert.lengthOf(vector, 64)
    assert.lengthOf(server.embeddingCalls(), 3)
  })

  test('a refusal retrying cannot fix is an EmbeddingError with the status', async ({ assert }) => {
    server.fail(401, 'invalid_api_key', 'Incorrect API key provided')
    const embedder = new OpenAIEmbedder(app.config.get<any>('ai'))
    try {
      await embedder.embed(['hello'])
      assert.fail('expected an EmbeddingError')
    } catch (error) {
      assert.instanceOf(error, EmbeddingError)
      assert.equal((error as EmbeddingError).status, 401)
      assert.include((error as Error).message, 'text-embedding-test')
    }
    assert.lengthOf(server.embeddingCalls(), 1)
  })
})

test.group('Embedder choice', () => {
  test('is the local lexical embedder without AI settings', ({ assert }) => {
    const previous = app.config.get<any>('ai')
    app.config.set('ai', { ...previous, baseUrl: null, embedModel: null })
    try {
      assert.strictEqual(currentEmbedder(), localEmbedder)
    } finally {
      app.config.set('ai', previous)
    }
  })
})
