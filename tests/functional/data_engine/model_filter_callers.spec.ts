import { test } from '@japa/runner'
import {
  answerFromDatasets,
  parseQuery,
  rowChoiceId,
  searchDataset,
  updateDatasetSettings,
  type Dataset,
} from '#modules/data_engine/index'
import { answerMember } from '#modules/data_engine/services/member_search'
import type { TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { importListings } from '#tests/helpers/datasets'

/*
| With a chat model configured, the customers' dataset answers and the
| members' WhatsApp search use the model's proposed filters (JSON under a
| schema made from the columns, checked, merged with the offline parse),
| against a local server speaking OpenAI's chat completions. The question
| says the budget in words the offline parse does not read; the model does.
*/

const QUESTION = '3 bedroom in Downtown, budget two hundred thousand'

test.group('Dataset answers with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })
  let context: TenantContext
  let dataset: Dataset
  let within: Set<string>
  group.setup(async () => {
    const made = await makeTenant('dsmc')
    context = made.context
    const imported = await importListings(context, 600)
    dataset = await updateDatasetSettings(context, imported.id, { answersCustomers: true })
    // The rows the full filters let through (given as data: no model asked).
    const all = await searchDataset(context, dataset, '', {
      k: 50,
      filters: [
        { column: 'community', op: 'eq', value: 'Downtown' },
        { column: 'bedrooms', op: 'eq', value: 3 },
        { column: 'price', op: 'lte', value: 200000 },
      ],
    })
    within = new Set(all.results.map((hit) => rowChoiceId(dataset.id, hit.row.id)))
    return () => made.cleanup()
  })

  const proposal = () =>
    JSON.stringify({ filters: [{ column: 'price', op: 'lte', value: 200000 }] })

  function citedRows(content: any) {
    return content.sections.flatMap((section: any) =>
      section.rows.map((row: any) => row.id).filter((id: string) => id.startsWith('dsrow:'))
    )
  }

  test('the offline parse alone does not read the budget', ({ assert }) => {
    const parsed = parseQuery(QUESTION, dataset.columns)
    assert.deepEqual(
      parsed.filters.map((f) => f.column),
      ['community', 'bedrooms']
    )
    assert.isAbove(within.size, 0)
  })

  test('a customer’s question: the list holds only rows within the model’s budget', async ({
    assert,
  }) => {
    ai.respond(proposal)
    const answer = await answerFromDatasets({
      tenant: context,
      text: QUESTION,
      choiceId: null,
      language: 'english',
    })
    assert.equal(answer?.content.type, 'list')
    const [call] = ai.chatCalls()
    assert.equal(call.body.response_format.type, 'json_schema')
    const columns = call.body.response_format.json_schema.schema.properties.filters.items.anyOf.map(
      (branch: any) => branch.properties.column.const
    )
    assert.includeMembers(columns, ['community', 'bedrooms', 'price'])
    const cited = citedRows(answer!.content)
    assert.isAbove(cited.length, 0)
    for (const id of cited) assert.isTrue(within.has(id), `${id} is over the budget`)
  })

  test('a member’s WhatsApp search: the same', async ({ assert }) => {
    ai.respond(proposal)
    const answer = await answerMember({
      tenant: context,
      text: QUESTION,
      choiceId: null,
      locale: null,
    })
    assert.equal(answer.mode, 'dataset')
    assert.lengthOf(ai.chatCalls(), 1)
    const cited = citedRows(answer.content)
    assert.isAbove(cited.length, 0)
    for (const id of cited) assert.isTrue(within.has(id), `${id} is over the budget`)
  })

  test('a model that fails or proposes what cannot apply: the offline parse answers', async ({
    assert,
  }) => {
    ai.respond(() => ({ status: 500, body: { error: { message: 'down' } } }))
    const failed = await answerFromDatasets({
      tenant: context,
      text: QUESTION,
      choiceId: null,
      language: 'english',
    })
    const offline = citedRows(failed!.content)
    assert.isAbove(offline.length, 0)
    // Without the budget some rows are over it (so the tests above prove the model's filter).
    assert.isTrue(offline.some((id: string) => !within.has(id)))

    ai.respond(() => JSON.stringify({ filters: [{ column: 'ref', op: 'lte', value: 200000 }] }))
    const impossible = await answerMember({
      tenant: context,
      text: QUESTION,
      choiceId: null,
      locale: null,
    })
    assert.deepEqual(citedRows(impossible.content), offline)
  })
})
