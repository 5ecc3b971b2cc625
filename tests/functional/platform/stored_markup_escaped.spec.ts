import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import type { Page } from 'playwright-core'
import { addWebchatChannel, MessageTemplate } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { systemActor } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { makeWhatsAppTenant } from '#tests/helpers/whatsapp'
import { useBrowser } from '#tests/helpers/browser'
import { signIn } from '#tests/functional/workspace/member_browser'
import { attributeOf, injectedMarkup, parseElements, regexEscaped } from '#tests/helpers/markup'

/*
| The paths reported from outside, end to end: hostile text stored through
| the real forms (or as the provider stores it) and read back on the real
| pages by another member. Chromium's parser reads each page: nothing the
| text carries becomes an element or attribute, and the attribute it lands
| in holds it intact.
*/

/** Closes a quoted attribute either way and opens elements that run script. */
const NAME = `Q"d'q <script>alert(1)</script> & &amp; "><img src=x onerror=alert(1)>`

/**
 * Valid to Vine's e-mail rule: a quoted local part (64 characters at most)
 * may hold `"` (escaped), `<`, `>`, `=` and spaces.
 */
const EMAIL = `"\\"><img src=x onerror=alert(1)>"@x.test`

test.group('Stored text on the real pages', (group) => {
  const browser = useBrowser(group)
  let page: Page
  group.setup(async () => {
    page = await browser.newPage({ javaScriptEnabled: false })
  })

  test('a channel name is inert on its page and is the confirm pattern as typed', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'esc-ch')
    const channel = await addWebchatChannel(w.tenant, { name: 'Site chat' }, systemActor)
    const show = `${w.base}/channels/${channel.id}`
    const web = await signIn(await w.member('admin'))
    const saved = await web.submit(show, show, { name: NAME })
    assert.equal(saved.status, 302)

    const owner = await signIn(await w.member('owner'))
    const elements = await parseElements(page, (await owner.get(show)).body)
    assert.deepEqual(injectedMarkup(elements), [])
    assert.equal(
      attributeOf(elements, { tag: 'input', name: 'confirm' }, 'pattern'),
      regexEscaped(NAME)
    )
  })

  test('a contact e-mail with a quoted local part is inert on the contact page', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'esc-ct')
    // A web chat visitor: known by e-mail, no phone, so the e-mail is what deletion asks for.
    const contact = await w.context.transaction((trx) =>
      Contact.create({ phone: null, name: 'Visitor', source: 'webchat' }, { client: trx })
    )
    const show = `${w.base}/contacts/${contact.id}`
    const web = await signIn(await w.member('agent'))
    const saved = await web.submit(show, show, { name: 'Visitor', email: EMAIL, opt_in: 'unknown' })
    assert.equal(saved.status, 302)
    const stored = await w.context.transaction((trx) =>
      Contact.query({ client: trx }).where('id', contact.id).firstOrFail()
    )
    assert.equal(stored.email, EMAIL)

    const owner = await signIn(await w.member('owner'))
    const elements = await parseElements(page, (await owner.get(show)).body)
    assert.deepEqual(injectedMarkup(elements), [])
    assert.equal(
      attributeOf(elements, { tag: 'input', name: 'confirm' }, 'pattern'),
      regexEscaped(EMAIL)
    )
    assert.equal(attributeOf(elements, { tag: 'input', name: 'email' }, 'value'), EMAIL)
  })

  test('a template body example is inert as the composer placeholder', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('esc-tpl')
    cleanup(wa.cleanup)
    await wa.context.transaction((trx) =>
      MessageTemplate.create(
        {
          channelId: wa.channel.id,
          providerId: '9101',
          name: 'hostile_example',
          language: 'en',
          category: 'UTILITY',
          status: 'APPROVED',
          bodyVariables: 1,
          components: [{ type: 'BODY', text: 'Hello {{1}}.', example: { body_text: [[NAME]] } }],
        },
        { client: trx }
      )
    )
    const conversation = await wa.context.transaction(async (trx) => {
      const contact = await Contact.create(
        { phone: '+15550009911', waId: '15550009911', source: 'whatsapp', optIn: 'unknown' },
        { client: trx }
      )
      const wrote = DateTime.now().minus({ hours: 30 })
      return Conversation.create(
        {
          contactId: contact.id,
          channelId: wa.channel.id,
          status: 'open',
          lastCustomerMessageAt: wrote,
          lastMessageAt: wrote,
        },
        { client: trx }
      )
    })
    const owner = await makeMember(wa.tenant.id, 'owner')
    cleanup(() => owner.delete())
    const web = await signIn(owner)
    const form = await web.get(
      `/t/${wa.tenant.slug}/inbox/${conversation.id}/templates?name=hostile_example&language=en`
    )
    assert.equal(form.status, 200)
    const elements = await parseElements(page, form.body)
    assert.deepEqual(injectedMarkup(elements), [])
    assert.equal(attributeOf(elements, { tag: 'input', name: 'variables[0]' }, 'placeholder'), NAME)
  })

  test("a knowledge title's first word is inert as the confirm pattern", async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'esc-kn')
    const word = `"'><img/src=x/onerror=alert(1)>`
    const web = await signIn(await w.member('admin'))
    const knowledge = `${w.base}/knowledge`
    const created = await web.submit(`${knowledge}/new?kind=text`, `${knowledge}/text`, {
      title: `${word} Claims`,
      text: 'Call us within 48 hours of an accident.',
    })
    assert.equal(created.status, 302)

    const owner = await signIn(await w.member('owner'))
    const elements = await parseElements(page, (await owner.get(created.location!)).body)
    assert.deepEqual(injectedMarkup(elements), [])
    assert.equal(
      attributeOf(elements, { tag: 'input', name: 'confirm' }, 'pattern'),
      regexEscaped(word)
    )
  })
})
