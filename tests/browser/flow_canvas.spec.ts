import { test } from '@japa/runner'
import type { Locator, Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { createFlow, findFlow, importGraph, listFlows } from '#modules/flows/index'
import { createConnector } from '#modules/data_engine/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'
import { flowLabels, holdLiveStream, keepRunningDue, waitForOutbound } from './flow_support.js'

/*
| The builder in Chromium: a member builds a 6-node intake on the canvas
| (a message with buttons, a question, a condition, a set, a handoff, an
| end) with the mouse and the keyboard, sees the server's problems at
| their nodes, saves, publishes, and runs the draft on the sandbox phone
| through "Try it". English and Arabic, 1280 px and 390 px, screenshots.
*/

const TEXT = {
  en: {
    welcome: 'Welcome! What cover do you need?',
    car: 'Car',
    home: 'Home',
    question: 'What is your name?',
    person: 'A person will help you shortly.',
    end: 'Thanks {{name}}, we will be in touch.',
    ended: 'Thanks Sara, we will be in touch.',
    name: 'Sara',
  },
  ar: {
    welcome: 'أهلًا! ما التغطية التي تحتاجها؟',
    car: 'سيارة',
    home: 'منزل',
    question: 'ما اسمك؟',
    person: 'سيساعدك أحد الزملاء قريبًا.',
    end: 'شكرًا {{name}}، سنتواصل معك.',
    ended: 'شكرًا سارة، سنتواصل معك.',
    name: 'سارة',
  },
} as const

test.group('Journey: building a flow on the canvas and trying it', (group) => {
  const browser = useBrowser(group)
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`a member builds a 6-node intake, publishes it and runs it in the sandbox (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const words = TEXT[lang]
      const L = flowLabels(lang)
      const C = L.canvas
      const made = await makeTenant('fcb')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang, name: 'Sara Haddad' })
      const due = keepRunningDue(made.context)
      cleanup(due.stop)

      const context = await browser.newContext({
        viewport: { width: 1280, height: 1400 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      await signInThroughForm(page, owner.email, TEST_PASSWORD)
      const problems = watchProblems(page)
      await page.goto(serverUrl(`/t/${made.tenant.slug}/flows`))
      await page.locator('#flow-name').fill(lang === 'ar' ? 'تسجيل' : 'Intake')
      await page.locator('[data-new-flow] button[type="submit"]').click()
      await page.locator('[data-canvas]').waitFor()
      const [flow] = await listFlows(made.context)
      assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
      assert.equal(await page.locator('[data-canvas]').getAttribute('dir'), 'ltr')

      const panel = page.locator('[data-panel]')
      const add = async (type: string) => {
        await page.locator('[data-add-type]').selectOption(type)
        await page.locator('[data-add-node]').click()
        return page.locator('.fnode.is-selected').getAttribute('data-node-id') as Promise<string>
      }
      const field = (label: string) => panel.getByLabel(label, { exact: true })
      const card = (id: string) => page.locator(`.fnode[data-node-id="${id}"]`)
      // Each new node is moved with the mouse to its place: two columns, three rows.
      const place = async (id: string, x: number, y: number) => {
        const view = (await page.locator('[data-canvas]').boundingBox())!
        const box = (await card(id).locator('.fnode-head').boundingBox())!
        await page.mouse.move(box.x + 10, box.y + 5)
        await page.mouse.down()
        await page.mouse.move(view.x + x + 10, view.y + y + 5, { steps: 6 })
        await page.mouse.up()
      }
      await page.locator('[data-canvas]').scrollIntoViewIfNeeded()

      // 1. The message with two reply buttons (typed into the focused text field).
      const message = await add('message')
      await page.keyboard.type(words.welcome)
      await field(C.replies).selectOption('buttons')
      await panel.locator('[data-button-title="0"]').fill(words.car)
      await panel.locator('[data-add-button]').click()
      await panel.locator('[data-button-title="1"]').fill(words.home)
      await place(message, 30, 20)
      // 2. The question.
      const question = await add('question')
      await page.keyboard.type(words.question)
      await field(C.variable).fill('name')
      await place(question, 300, 20)
      // 3. The condition: the name is set.
      const condition = await add('condition')
      await panel.locator('[data-rule-key="0"]').fill('name')
      await field(C.rule_op).selectOption('exists')
      await place(condition, 30, 190)
      // 4. The set: a label.
      const set = await add('set')
      await field(C.set_target).selectOption('label_add')
      await panel.locator('[data-field="key"]').fill('intake')
      await place(set, 30, 360)
      // 5. The handoff and 6. the end.
      const handoff = await add('handoff')
      await page.keyboard.type(words.person)
      await place(handoff, 300, 190)
      const end = await add('end')
      await page.keyboard.type(words.end)
      await place(end, 300, 360)

      // Connect with the mouse: drag a port onto a node.
      const dragPort = async (from: string, port: string, to: string) => {
        const start = (await card(from).locator(`[data-port="${port}"]`).boundingBox())!
        const target = (await card(to).boundingBox())!
        await page.mouse.move(start.x + start.width / 2, start.y + start.height / 2)
        await page.mouse.down()
        await page.mouse.move(target.x + 40, target.y + 20, { steps: 8 })
        await page.mouse.up()
      }
      await dragPort(message, 'next', question)
      await dragPort(condition, 'true', set)
      // With the keyboard: a node, C to its first port, Enter, then Enter on the target.
      await card(question).focus()
      await page.keyboard.press('c')
      await page.keyboard.press('Enter')
      await card(condition).focus()
      await page.keyboard.press('Enter')
      // Save now: the server's problems show at their nodes.
      await page.locator('[data-save-graph]').click()
      await page.locator(`.fnode.has-problem[data-node-id="${handoff}"]`).waitFor()
      assert.isAbove(await page.locator('[data-canvas-problem="port_without_target"]').count(), 0)
      assert.isAbove(await page.locator('[data-canvas-problem="unreachable"]').count(), 0)
      await screenshot(page, `flow-canvas-${lang}-problems`)

      // The rest through the panel's "leads to" selects (what a phone uses too).
      const branch = async (from: string, port: string, to: string) => {
        await card(from).click()
        await panel.locator(`[data-branch="${port}"]`).selectOption(to)
      }
      await branch(message, 'fallback', handoff)
      await branch(question, 'fallback', handoff)
      await branch(condition, 'false', handoff)
      await branch(set, 'next', end)

      // A node added by mistake goes with the keyboard: focus it, Delete.
      const extra = await add('wait')
      await card(extra).focus()
      await page.keyboard.press('Delete')
      assert.equal(await page.locator('.fnode').count(), 6)

      await page.locator('[data-save-graph]').click()
      await page.locator('.canvas-ok').waitFor()
      assert.equal(await page.locator('.fnode.has-problem').count(), 0)
      const saved = (await findFlow(made.context, flow.id))!.graph
      assert.lengthOf(saved.nodes, 6)
      assert.lengthOf(saved.edges, 7)
      const placed = saved.nodes.find((n) => n.id === condition)!.position
      assert.closeTo(placed.x, 30, 12)
      assert.closeTo(placed.y, 190, 12)
      assert.deepEqual(
        saved.nodes.find((n) => n.id === message)!.data.buttons.map((b: any) => b.title),
        [words.car, words.home]
      )
      await screenshot(page, `flow-canvas-${lang}-1280`)

      // Publish, then try it on the sandbox phone.
      await page.locator('[data-publish-form] button').click()
      await page.locator('[data-version="1"]').waitFor()
      // The draft's first message goes out before the phone's live stream is
      // open (held back here, as on a slow network): nobody hears of it, and
      // the phone still shows it once its stream opens.
      // The step is held only till the phone is drawn, so that it is sent
      // in between, the case a live notice cannot cover.
      const stream = await holdLiveStream(page)
      due.paused = true
      await page.locator('[data-try]').click()
      await page.waitForURL(/\/sandbox\?/)
      due.paused = false
      await waitForOutbound(made.context, words.welcome)
      assert.equal(await page.locator('.bubble--business').count(), 0)
      assert.isAbove(stream.held(), 0)
      stream.release()
      const bubble = (text: string) =>
        page.locator('.bubble--business').filter({ hasText: text }).first()
      await bubble(words.welcome).waitFor({ timeout: 15_000 })
      await page.locator('.bubble-choice', { hasText: words.car }).click()
      await bubble(words.question).waitFor({ timeout: 15_000 })
      await page.locator('#sandbox-text').fill(words.name)
      await page.locator('#sandbox-text').press('Enter')
      await bubble(words.ended).waitFor({ timeout: 15_000 })
      await screenshot(page, `flow-canvas-${lang}-sandbox`)
      assert.deepEqual(problems, [])

      // A phone: the canvas pans inside the page, the list of nodes edits too.
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => phone.close())
      const small = await phone.newPage()
      await signInThroughForm(small, owner.email, TEST_PASSWORD)
      const smallProblems = watchProblems(small)
      await small.goto(serverUrl(`/t/${made.tenant.slug}/flows/${flow.id}`))
      await small.locator('[data-canvas]').waitFor()
      const sideways = await small.evaluate('document.documentElement.scrollWidth > innerWidth')
      assert.isFalse(sideways, 'the page does not scroll sideways at 390 px')
      await small.locator(`[data-node-list] [data-select="${end}"]`).click()
      const text: Locator = small.locator('[data-panel] textarea').first()
      await text.fill(words.end + '!')
      await small.locator('[data-save-graph]').click()
      await small.locator('.canvas-status', { hasText: C.saved }).waitFor()
      assert.equal(
        (await findFlow(made.context, flow.id))!.graph.nodes.find((n) => n.id === end)!.data.text,
        words.end + '!'
      )
      await screenshot(small, `flow-canvas-${lang}-390`)
      assert.deepEqual(smallProblems, [])
    }).timeout(120_000)

    test(`a message's picture or file is chosen in the panel and saved (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const C = flowLabels(lang).canvas
      const made = await makeTenant('fcm')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang })
      const flow = await createFlow(made.context, { name: 'Brochure' }, null)
      await importGraph(made.context, flow.id, {
        nodes: [
          {
            id: 'hello',
            type: 'message',
            position: { x: 40, y: 40 },
            data: { text: 'Our brochure' },
          },
        ],
        edges: [],
      })
      const context = await browser.newContext({
        viewport: { width: 1280, height: 1100 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      await signInThroughForm(page, owner.email, TEST_PASSWORD)
      const problems = watchProblems(page)
      await page.goto(serverUrl(`/t/${made.tenant.slug}/flows/${flow.id}`))
      await page.locator('.fnode[data-node-id="hello"] .fnode-head').click()
      const panel = page.locator('[data-panel]')
      await panel.getByLabel(C.media_type, { exact: true }).selectOption('document')
      await panel
        .locator('[data-field="media_link"]')
        .fill('https://files.example.com/brochure.pdf')
      await panel.getByLabel(C.media_filename, { exact: true }).fill('Brochure.pdf')
      await page.locator('[data-save-graph]').click()
      await page.locator('.canvas-ok').waitFor()
      await screenshot(page, `flow-canvas-${lang}-media`)
      const saved = (await findFlow(made.context, flow.id))!.graph.nodes[0].data
      assert.deepEqual(saved.media, {
        type: 'document',
        link: 'https://files.example.com/brochure.pdf',
        filename: 'Brochure.pdf',
      })
      assert.deepEqual(problems, [])
    }).timeout(60_000)

    test(`a lookup's connector parameters and a message's variable are edited in the panel, checked per field, saved and kept (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const C = flowLabels(lang).canvas
      const made = await makeTenant('fcp')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang })
      const connector = await createConnector(made.context, {
        name: 'Orders',
        url_template: 'https://shop.example.com/orders/{{order}}?email={{email}}',
        parameters: [
          { name: 'order', type: 'text', required: true },
          { name: 'email', type: 'text', required: false },
        ],
        mapping: [{ name: 'status', path: '$.status' }],
        reply_template: '{{status}}',
      })
      const ask =
        lang === 'ar'
          ? 'مرحبًا {{contact.name}}، هل تتابع طلبًا؟'
          : 'Hi {{contact.name}}, track an order?'
      const flow = await createFlow(made.context, { name: 'Orders' }, null)
      await importGraph(made.context, flow.id, {
        nodes: [
          {
            id: 'ask',
            type: 'message',
            position: { x: 40, y: 40 },
            data: { text: ask, buttons: [{ id: 'yes', title: lang === 'ar' ? 'نعم' : 'Yes' }] },
          },
          {
            id: 'track',
            type: 'lookup',
            position: { x: 300, y: 40 },
            data: { source: 'connector', source_id: '', variable: 'order_info' },
          },
          {
            id: 'done',
            type: 'end',
            position: { x: 300, y: 260 },
            data: {
              text: lang === 'ar' ? 'حالة طلبك: {{order_info}}' : 'Your order: {{order_info}}',
            },
          },
        ],
        edges: [
          { from: 'ask', port: 'next', to: 'track' },
          { from: 'track', port: 'next', to: 'done' },
          { from: 'track', port: 'fallback', to: 'done' },
        ],
      })
      const { page, problems, flowUrl, panel, open, save } = await openCanvas(
        browser,
        lang,
        owner.email,
        `/t/${made.tenant.slug}/flows/${flow.id}`,
        cleanup
      )

      // The lookup: choosing the connector offers its required parameter as a row.
      await open('track')
      await panel.getByLabel(C.source_connector, { exact: true }).selectOption(connector.id)
      await panel.locator('[data-param-name="0"]').waitFor()
      assert.equal(await panel.locator('[data-param-name="0"]').inputValue(), 'order')
      assert.include(await panel.locator('[data-params-declared]').innerText(), 'email')
      // Saved with the value empty: the server's problem shows at the parameters.
      await save()
      await panel.locator('[data-field-error="params"]').waitFor()
      await panel.locator('[data-param-value="0"]').fill('{{order_no}}')
      // A second row; a third with the same name is flagged at once, then removed.
      await panel.locator('[data-add-param]').click()
      await page.keyboard.type('email')
      await panel.locator('[data-param-value="1"]').fill('{{contact.email}}')
      await panel.locator('[data-add-param]').click()
      await panel.locator('[data-param-name="2"]').fill('order')
      await panel.locator('[data-param-value="2"]').fill('x')
      assert.equal(await panel.locator('[data-param-error="2"]').innerText(), C.param_duplicate)
      assert.equal(
        await panel.locator('[data-param-name="2"]').getAttribute('aria-invalid'),
        'true'
      )
      await panel.locator('[data-remove-param="2"]').click()
      assert.equal(await panel.locator('[data-param-row]').count(), 2)

      // The message: the variable its picked button is kept under, checked at its field.
      await open('ask')
      await panel.getByLabel(C.choice_variable, { exact: true }).fill('2 wants')
      await save()
      await panel.locator('[data-field-error="variable"]').waitFor()
      assert.equal(
        await panel.getByLabel(C.choice_variable, { exact: true }).getAttribute('aria-invalid'),
        'true'
      )
      await panel.getByLabel(C.choice_variable, { exact: true }).fill('wants')
      await save()
      await page.locator('.canvas-ok').waitFor()
      assert.equal(await panel.locator('[data-field-error]').count(), 0)
      await open('track')
      await screenshot(page, `flow-canvas-${lang}-params`)

      const saved = (await findFlow(made.context, flow.id))!.graph
      const data = (id: string) => saved.nodes.find((n) => n.id === id)!.data
      assert.deepEqual(data('track').params, { order: '{{order_no}}', email: '{{contact.email}}' })
      assert.equal(data('track').source_id, connector.id)
      assert.equal(data('ask').variable, 'wants')

      // After a reload the panel shows what was saved.
      await page.goto(flowUrl)
      await open('track')
      // (jsonb keeps an object's keys in its own order: compared as a map)
      const shown: Record<string, string> = {}
      for (const i of [0, 1]) {
        shown[await panel.locator(`[data-param-name="${i}"]`).inputValue()] = await panel
          .locator(`[data-param-value="${i}"]`)
          .inputValue()
      }
      assert.deepEqual(shown, { order: '{{order_no}}', email: '{{contact.email}}' })
      await open('ask')
      assert.equal(await panel.getByLabel(C.choice_variable, { exact: true }).inputValue(), 'wants')
      // A placeholder on a card is isolated left to right, in Arabic too.
      const placeholder = page.locator('.fnode[data-node-id="ask"] .fnode-text bdi[dir="ltr"]')
      assert.equal(await placeholder.innerText(), '{{contact.name}}')
      assert.equal(
        await page.locator('.fnode[data-node-id="ask"] .fnode-text').getAttribute('dir'),
        lang === 'ar' ? 'rtl' : 'ltr'
      )
      await screenshot(page, `flow-canvas-${lang}-message-variable`)
      assert.deepEqual(problems, [])

      // A phone: the same panel, one column.
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => phone.close())
      const small = await phone.newPage()
      await signInThroughForm(small, owner.email, TEST_PASSWORD)
      const smallProblems = watchProblems(small)
      await small.goto(flowUrl)
      await small.locator('[data-node-list] [data-select="track"]').click()
      await small.locator('[data-panel] [data-param-name="1"]').waitFor()
      const sideways = await small.evaluate('document.documentElement.scrollWidth > innerWidth')
      assert.isFalse(sideways, 'the page does not scroll sideways at 390 px')
      await screenshot(small, `flow-canvas-${lang}-params-390`)
      assert.deepEqual(smallProblems, [])
    }).timeout(90_000)

    test(`a question's limits and pattern, a task's waiting message and a booking's own texts are edited in the panel and kept (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const C = flowLabels(lang).canvas
      const made = await makeTenant('fcf')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang })
      const flow = await createFlow(made.context, { name: 'Intake' }, null)
      await importGraph(made.context, flow.id, {
        nodes: [
          {
            id: 'age',
            type: 'question',
            position: { x: 40, y: 40 },
            data: { text: 'Age?', kind: 'number', variable: 'age' },
          },
          {
            id: 'code',
            type: 'question',
            position: { x: 40, y: 240 },
            data: { text: 'Policy number?', kind: 'text', variable: 'code' },
          },
          { id: 'approve', type: 'task', position: { x: 300, y: 40 }, data: { title: 'Check' } },
          { id: 'book', type: 'booking', position: { x: 300, y: 240 }, data: { service_id: '' } },
        ],
        edges: [
          { from: 'age', port: 'next', to: 'code' },
          { from: 'code', port: 'next', to: 'approve' },
          { from: 'approve', port: 'next', to: 'book' },
        ],
      })
      const { page, problems, panel, open, save } = await openCanvas(
        browser,
        lang,
        owner.email,
        `/t/${made.tenant.slug}/flows/${flow.id}`,
        cleanup
      )
      const confirm = lang === 'ar' ? 'تم الحجز: {{booking.start}}' : 'Booked: {{booking.start}}'
      // The labels as shown: ICU's quoted braces ('{{'x'}}') read as braces.
      const shown = (label: string) => label.replace(/'([{}]+)'/g, '$1')
      const values: Array<[string, string, string]> = [
        ['age', C.number_min, '18'],
        ['age', C.number_max, '99'],
        ['code', C.pattern, '^[A-Z]{2}[0-9]{6}$'],
        [
          'approve',
          C.task_wait_text,
          lang === 'ar' ? 'نراجع طلبك الآن.' : 'We are checking this now.',
        ],
        [
          'book',
          C.taken_text,
          lang === 'ar' ? 'حُجز هذا الموعد، اختر غيره.' : 'That time went, pick another.',
        ],
        ['book', C.confirm_text, confirm],
      ]
      for (const [node, label, value] of values) {
        await open(node)
        await panel.getByLabel(shown(label), { exact: true }).fill(value)
      }
      await open('book')
      await screenshot(page, `flow-canvas-${lang}-booking-panel`)
      await save()

      await page.reload()
      for (const [node, label, value] of values) {
        await open(node)
        const input = panel.getByLabel(shown(label), { exact: true })
        assert.equal(await input.inputValue(), value, label)
      }
      const stored = (await findFlow(made.context, flow.id))!
      const data = (id: string) => stored.graph.nodes.find((n: any) => n.id === id)!.data as any
      assert.equal(data('age').min, 18)
      assert.equal(data('age').max, 99)
      assert.equal(data('book').confirm_text, confirm)
      assert.deepEqual(problems, [])
    }).timeout(60_000)
  }
})

/** A member's canvas at 1280 px in `lang`: the page, its panel, and opening a node and saving. */
async function openCanvas(
  browser: ReturnType<typeof useBrowser>,
  lang: 'en' | 'ar',
  email: string,
  path: string,
  cleanup: (fn: () => Promise<void>) => void
) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 1100 },
    locale: lang === 'ar' ? 'ar' : 'en-US',
  })
  cleanup(() => context.close())
  const page: Page = await context.newPage()
  await signInThroughForm(page, email, TEST_PASSWORD)
  const problems = watchProblems(page)
  const flowUrl = serverUrl(path)
  await page.goto(flowUrl)
  const open = (id: string) => page.locator(`.fnode[data-node-id="${id}"] .fnode-head`).click()
  const save = async () => {
    const saved = page.waitForResponse((r) => r.url().endsWith(`${path}/graph`))
    await page.locator('[data-save-graph]').click()
    await saved
  }
  return { page, problems, flowUrl, panel: page.locator('[data-panel]'), open, save }
}
