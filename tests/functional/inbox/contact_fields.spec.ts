import { test } from '@japa/runner'
import { Contact, ContactField } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'
import { defineContactFields } from '#tests/helpers/contact_fields'

type Cleanup = (fn: () => void | Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'cfields') {
  const made = await makeWorkspace(cleanup, prefix)
  return {
    ...made,
    contacts: `${made.base}/contacts`,
    fields: `${made.base}/settings/contact-fields`,
  }
}

function fieldsIn(context: TenantContext) {
  return context.transaction((trx) => ContactField.query({ client: trx }).orderBy('position'))
}

function contactsIn(context: TenantContext) {
  return context.transaction((trx) => Contact.query({ client: trx }).orderBy('created_at'))
}

test.group('Contact fields: defining them in the workspace', () => {
  test('an owner adds typed fields, edits a label and required, and the key stays', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const empty = await web.get(w.fields)
    assert.equal(empty.status, 200)
    assert.include(empty.body, 'No custom fields yet')

    const added = await web.submit(w.fields, w.fields, {
      label: 'Policy ends',
      key: 'policy_end',
      type: 'date',
      required: 'true',
    })
    assert.equal(added.location, w.fields)
    await web.submit(w.fields, w.fields, {
      label: 'Area',
      key: 'area',
      type: 'choice',
      choices: 'JLT\nMarina, Downtown\nJLT',
    })
    const [policyEnd, area] = await fieldsIn(w.context)
    assert.include(policyEnd.toJSON(), {
      key: 'policy_end',
      type: 'date',
      required: true,
      label: 'Policy ends',
    })
    assert.deepEqual(area.choices, ['JLT', 'Marina', 'Downtown'])
    assert.isFalse(area.required)

    const list = await web.get(w.fields)
    assert.include(list.body, 'The field Area is added.')
    assert.include(list.body, 'data-field="policy_end"')

    const editPage = `${w.fields}/${area.id}`
    await web.submit(editPage, editPage, {
      label: 'Preferred area',
      required: 'true',
      choices: 'JLT\nMarina',
      key: 'hacked',
      type: 'text',
    })
    const [, edited] = await fieldsIn(w.context)
    assert.include(edited.toJSON(), {
      key: 'area',
      type: 'choice',
      label: 'Preferred area',
      required: true,
    })
    assert.deepEqual(edited.choices, ['JLT', 'Marina'])
  })

  test('a bad key, a taken key and a choice field without choices are field errors', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('admin'))
    await web.submit(w.fields, w.fields, { label: 'X', key: '9 lives', type: 'text' })
    assert.include((await web.get(w.fields)).body, 'This is not in the expected format.')
    await web.submit(w.fields, w.fields, { label: 'City', key: 'city', type: 'text' })
    await web.submit(w.fields, w.fields, { label: 'City again', key: 'city', type: 'text' })
    assert.include((await web.get(w.fields)).body, 'A field with the key city exists.')
    await web.submit(w.fields, w.fields, { label: 'Tier', key: 'tier', type: 'choice' })
    assert.include((await web.get(w.fields)).body, 'List at least one choice.')
    assert.deepEqual(
      (await fieldsIn(w.context)).map((field) => field.key),
      ['city']
    )
  })

  test('deleting a field asks for its key and removes its value from every contact', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const [city] = await defineContactFields(w.context, [{ key: 'city' }, { key: 'plan' }])
    await w.context.transaction((trx) =>
      Contact.create(
        { phone: '+971501234567', attributes: { city: 'Dubai', plan: 'Gold' } },
        { client: trx }
      )
    )
    const web = await signIn(await w.member('owner'))
    const page = `${w.fields}/${city.id}`
    const wrong = await web.submit(page, `${page}/delete`, { confirm: 'town' })
    assert.equal(wrong.location, `${page}#delete`)
    assert.lengthOf(await fieldsIn(w.context), 2)
    const done = await web.submit(page, `${page}/delete`, { confirm: 'city' })
    assert.equal(done.location, w.fields)
    assert.deepEqual(
      (await fieldsIn(w.context)).map((field) => field.key),
      ['plan']
    )
    const [contact] = await contactsIn(w.context)
    assert.deepEqual(contact.attributes, { plan: 'Gold' })
  })

  test('agents and viewers cannot define fields; agents still fill them on contacts', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const [field] = await defineContactFields(w.context, [{ key: 'city', label: 'City' }])
    for (const role of ['agent', 'viewer'] as const) {
      const web = await signIn(await w.member(role))
      await web.get(w.contacts)
      assert.equal((await web.get(w.fields)).status, 403, role)
      assert.equal(
        (await web.post(w.fields, { label: 'X', key: 'x', type: 'text' })).status,
        403,
        role
      )
      assert.equal(
        (await web.post(`${w.fields}/${field.id}/delete`, { confirm: 'city' })).status,
        403
      )
    }
    const agent = await signIn(await w.member('agent'))
    const form = await agent.get(`${w.contacts}/new`)
    assert.include(form.body, 'name="cf_city"')
    assert.lengthOf(await fieldsIn(w.context), 1)
  })
})

test.group('Contact fields: values, time zone, language and consent on the contact page', () => {
  test('typed values are stored typed, shown on the page, and required ones are enforced', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await defineContactFields(w.context, [
      { key: 'policy_end', type: 'date', label: 'Policy ends', required: true },
      { key: 'premium', type: 'number', label: 'Premium' },
      { key: 'vip', type: 'boolean', label: 'VIP' },
      { key: 'area', type: 'choice', label: 'Area', choices: ['JLT', 'Marina'] },
    ])
    const web = await signIn(await w.member('agent'))
    const form = await web.get(`${w.contacts}/new`)
    assert.include(form.body, 'type="date"')
    assert.include(form.body, 'name="cf_area"')

    const refused = await web.submit(`${w.contacts}/new`, w.contacts, {
      phone: '+971501234567',
      opt_in: 'unknown',
      cf_premium: '1200.5',
      cf_area: 'Mars',
      cf_vip: 'maybe',
    })
    assert.equal(refused.location, `${w.contacts}/new`)
    const again = await web.get(`${w.contacts}/new`)
    assert.include(again.body, 'This field is required.')
    assert.include(again.body, 'Choose one of the listed values.')
    assert.include(again.body, 'Choose yes or no.')
    assert.lengthOf(await contactsIn(w.context), 0)

    const created = await web.submit(`${w.contacts}/new`, w.contacts, {
      phone: '+971501234567',
      opt_in: 'unknown',
      cf_policy_end: '2027-03-31',
      cf_premium: '1200.5',
      cf_area: 'JLT',
      cf_vip: 'true',
    })
    assert.match(created.location ?? '', /\/contacts\/[0-9a-f-]{36}$/)
    const [contact] = await contactsIn(w.context)
    assert.deepEqual(contact.attributes, {
      policy_end: '2027-03-31',
      premium: 1200.5,
      area: 'JLT',
      vip: true,
    })
    const page = await web.get(created.location!)
    assert.match(page.body, /data-attribute="premium"[^>]*>1200.5</)
    assert.match(page.body, /data-attribute="vip"[^>]*>Yes</)
    assert.include(page.body, 'value="2027-03-31"')
  })

  test("time zone and language are guessed from the phone's country, and members can change them", async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('agent'))
    const created = await web.submit(`${w.contacts}/new`, w.contacts, {
      phone: '+971 50 123 4567',
      opt_in: 'unknown',
    })
    const [contact] = await contactsIn(w.context)
    assert.equal(contact.timeZone, 'Asia/Dubai')
    assert.equal(contact.language, 'ar')
    const page = await web.get(created.location!)
    assert.match(page.body, /data-time-zone[^>]*>Asia\/Dubai</)

    await web.submit(created.location!, created.location!, {
      opt_in: 'unknown',
      time_zone: 'Europe/London',
      language: 'en',
    })
    const [changed] = await contactsIn(w.context)
    assert.equal(changed.timeZone, 'Europe/London')
    assert.equal(changed.language, 'en')

    await web.submit(created.location!, created.location!, {
      opt_in: 'unknown',
      language: 'english!',
    })
    assert.include((await web.get(created.location!)).body, 'Enter a language code such as en')
    // A number whose country we do not know gets no guess.
    await web.submit(`${w.contacts}/new`, w.contacts, { phone: '+15550001234', opt_in: 'unknown' })
    const unknown = (await contactsIn(w.context)).find((row) => row.phone === '+15550001234')!
    assert.isNull(unknown.timeZone)
  })

  test('marketing and service consent are kept apart, each with its source and time', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('agent'))
    const created = await web.submit(`${w.contacts}/new`, w.contacts, {
      phone: '+971501234567',
      opt_in: 'opted_in',
      marketing_consent: 'unknown',
    })
    let [contact] = await contactsIn(w.context)
    assert.equal(contact.optIn, 'opted_in')
    assert.equal(contact.serviceConsentSource, 'form')
    assert.isNotNull(contact.serviceConsentAt)
    assert.equal(contact.marketingConsent, 'unknown')
    assert.isNull(contact.marketingConsentAt)

    await web.submit(created.location!, created.location!, {
      opt_in: 'opted_in',
      marketing_consent: 'opted_in',
    })
    ;[contact] = await contactsIn(w.context)
    assert.equal(contact.marketingConsent, 'opted_in')
    assert.equal(contact.marketingConsentSource, 'form')
    assert.isNotNull(contact.marketingConsentAt)
    const page = await web.get(created.location!)
    assert.match(
      page.body,
      /data-consent="marketing"[\s\S]*?data-opt-in="opted_in"[\s\S]*?workspace form/
    )
  })

  test('the contact page and the fields page speak Arabic', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    await defineContactFields(w.context, [{ key: 'city', label: 'المدينة' }])
    const owner = await w.member('owner')
    owner.locale = 'ar'
    await owner.save()
    const web = await signIn(owner)
    const fields = await web.get(w.fields)
    assert.include(fields.body, 'dir="rtl"')
    assert.include(fields.body, 'حقول جهات الاتصال')
    const form = await web.get(`${w.contacts}/new`)
    assert.include(form.body, 'الرسائل التسويقية')
    assert.include(form.body, 'المنطقة الزمنية')
  })
})

test.group('Contact fields: tenant isolation', () => {
  test("B's fields are not A's: 404 through A's URLs, absent from A's forms, refused as unknown", async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'iso-fa')
    const b = await workspace(cleanup, 'iso-fb')
    const [theirs] = await defineContactFields(b.context, [{ key: 'secret_b', label: 'Secret B' }])
    const web = await signIn(await a.member('owner'))
    await web.get(a.fields)
    const viaA = `${a.fields}/${theirs.id}`
    assert.equal((await web.get(viaA)).status, 404)
    assert.equal((await web.post(viaA, { label: 'Taken' })).status, 404)
    assert.equal((await web.post(`${viaA}/delete`, { confirm: 'secret_b' })).status, 404)
    assert.notInclude((await web.get(a.fields)).body, 'secret_b')
    assert.notInclude((await web.get(`${a.contacts}/new`)).body, 'cf_secret_b')
    // On B's own URLs, A's member is not a member.
    assert.oneOf((await web.get(`${b.fields}/${theirs.id}`)).status, [403, 404, 302])

    await web.submit(`${a.contacts}/new`, a.contacts, {
      phone: '+971501234567',
      opt_in: 'unknown',
      cf_secret_b: 'x',
    })
    assert.lengthOf(await contactsIn(a.context), 0)
    const [field] = await fieldsIn(b.context)
    assert.equal(field.label, 'Secret B')
  })
})
