import { test } from '@japa/runner'
import {
  Contact,
  runContactImport,
  findContactImport,
  importErrorsPage,
  startContactImport,
  uploadContactImport,
} from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { defineContactFields } from '#tests/helpers/contact_fields'
import { csvFile, csvOf, importCsv } from '#tests/helpers/contact_imports'
import { withDefaultQueueWorker } from '#tests/helpers/queue'

function contactsIn(context: TenantContext) {
  return context.transaction((trx) => Contact.query({ client: trx }).orderBy('phone'))
}

async function errorsOf(context: TenantContext, importId: string) {
  return (await importErrorsPage(context, importId, { limit: 1000 })).rows
}

/**
 * The database refuses the contact with `phone` once (a sequence is not
 * rolled back with the failed transaction), and counts every row offered.
 */
async function failOnceAt(context: TenantContext, phone: string) {
  await context.transaction(async (trx) => {
    await trx.rawQuery('create sequence import_fail_once')
    await trx.rawQuery('create sequence import_rows_seen')
    await trx.rawQuery(`
      create function import_fail_once() returns trigger language plpgsql as $$
      begin
        perform nextval('import_rows_seen');
        if new.phone = '${phone}' and nextval('import_fail_once') = 1 then
          raise exception 'the database went away';
        end if;
        return new;
      end $$`)
    await trx.rawQuery(
      'create trigger import_fail_once before insert on contacts for each row execute function import_fail_once()'
    )
  })
}

async function triggerCounts(context: TenantContext) {
  const result = await context.transaction((trx) =>
    trx.rawQuery(
      `select (select last_value from import_fail_once) as calls,
              (select last_value from import_rows_seen) as seen`
    )
  )
  return { calls: Number(result.rows[0].calls), seen: Number(result.rows[0].seen) }
}

test.group('Contact import: mapping, phones, merging', () => {
  test('guesses English and Arabic headers, normalises phones to E.164 and guesses the locale', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimp')
    await defineContactFields(w.context, [{ key: 'area', label: 'المنطقة السكنية', type: 'text' }])
    const done = await importCsv(
      w.context,
      '\uFEFF' +
        csvOf([
          ['الاسم', 'رقم الجوال', 'البريد الإلكتروني', 'المنطقة السكنية', 'موافقة تسويقية'],
          ['سارة أحمد', '050 123 4567', 'Sara@Example.com', 'مرسى دبي', 'نعم'],
          ['Omar', '+966 50 123 4567', '', '', 'no'],
        ]),
      { defaultCountry: 'AE', label: 'March renewals' }
    )
    assert.deepEqual(done.mapping, ['name', 'phone', 'email', 'attr.area', 'marketing_consent'])
    assert.include(done, { status: 'done', created: 2, updated: 0, errorCount: 0, processed: 2 })
    const [sa, uae] = await contactsIn(w.context)
    assert.include(uae.toJSON(), {
      phone: '+971501234567',
      name: 'سارة أحمد',
      email: 'sara@example.com',
      timeZone: 'Asia/Dubai',
      language: 'ar',
      marketingConsent: 'opted_in',
      marketingConsentSource: 'import',
      source: 'import',
      waId: '971501234567',
    })
    assert.deepEqual(uae.attributes, { area: 'مرسى دبي' })
    assert.deepEqual(uae.tags, ['March renewals'])
    assert.include(sa.toJSON(), {
      phone: '+966501234567',
      marketingConsent: 'opted_out',
      timeZone: 'Asia/Riyadh',
    })
  })

  test('refuses rows with bad phones or custom field values and reports row, column and reason', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimp')
    await defineContactFields(w.context, [
      { key: 'policy_end', type: 'date' },
      { key: 'plan', type: 'choice', choices: ['gold', 'silver'] },
      { key: 'broker', type: 'text', required: true },
    ])
    const done = await importCsv(
      w.context,
      csvOf([
        ['phone', 'name', 'policy_end', 'plan', 'broker', 'time zone', 'language'],
        ['+15550001111', 'Good', '2027-03-01', 'gold', 'Ann', 'Asia/Dubai', 'English'],
        ['12', 'Short phone', '', '', 'Ann', '', ''],
        ['', 'No phone', '', '', 'Ann', '', ''],
        ['+15550002222', 'Bad values', 'March 1st', 'bronze', '', 'Mars/Base', 'xx-yy-zz'],
      ])
    )
    assert.include(done, { status: 'done', created: 1, errorCount: 3, processed: 4 })
    const errors = await errorsOf(w.context, done.id)
    assert.deepEqual(
      errors.map((e) => [e.row, e.column, e.code]),
      [
        [3, 'phone', 'phone_invalid'],
        [4, 'phone', 'phone_missing'],
        [5, 'policy_end', 'date'],
        [5, 'plan', 'choice'],
        [5, 'broker', 'required'],
        [5, 'time zone', 'time_zone'],
        [5, 'language', 'language'],
      ]
    )
    const [only] = await contactsIn(w.context)
    assert.include(only.toJSON(), { phone: '+15550001111', timeZone: 'Asia/Dubai', language: 'en' })
    assert.deepEqual(only.attributes, { policy_end: '2027-03-01', plan: 'gold', broker: 'Ann' })
  })

  test('merges duplicates within the file and with existing contacts, never undoing an opt-out', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimp')
    await w.context.transaction(async (trx) => {
      await Contact.createMany(
        [
          {
            phone: '+15550003333',
            name: 'Kept name',
            email: 'kept@example.com',
            tags: ['vip'],
            attributes: {},
            timeZone: 'Europe/Paris',
            language: 'fr',
            marketingConsent: 'opted_out',
            marketingConsentSource: 'keyword',
          },
          { phone: '+15550004444', name: 'Old', tags: [], attributes: {} },
        ],
        { client: trx }
      )
    })
    const done = await importCsv(
      w.context,
      csvOf([
        ['Phone', 'Name', 'Email', 'Tags', 'Consent'],
        ['+1 555 000 3333', '', 'new@example.com', 'buyer; vip', 'yes'],
        ['+15550004444', 'New name', '', 'lead', 'yes'],
        ['+15550005555', 'First', 'first@example.com', 'a', ''],
        ['001 555 000 5555', 'Second', '', 'b', 'yes'],
      ])
    )
    assert.include(done, { created: 1, updated: 2, repeated: 1, errorCount: 0 })
    const [kept, renamed, merged] = await contactsIn(w.context)
    assert.include(kept.toJSON(), {
      name: 'Kept name',
      email: 'new@example.com',
      timeZone: 'Europe/Paris',
      language: 'fr',
      marketingConsent: 'opted_out',
      marketingConsentSource: 'keyword',
    })
    assert.deepEqual(kept.tags, ['vip', 'buyer'])
    assert.include(renamed.toJSON(), {
      name: 'New name',
      marketingConsent: 'opted_in',
      marketingConsentSource: 'import',
    })
    assert.include(merged.toJSON(), {
      name: 'Second',
      email: 'first@example.com',
      marketingConsent: 'opted_in',
    })
    assert.deepEqual(merged.tags, ['a', 'b'])
    assert.lengthOf(await contactsIn(w.context), 3)
  })

  test('a run that fails midway is resumed after the last batch written; a run after the end changes nothing', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimp')
    const rows = [['phone', 'name']]
    for (let i = 0; i < 4500; i++) rows.push([`+1555100${String(i).padStart(4, '0')}`, `P${i}`])
    await failOnceAt(w.context, '+15551002500')
    const uploaded = await uploadContactImport(w.context, await csvFile(csvOf(rows)), null)
    await startContactImport(w.context, uploaded.id, {})

    await assert.rejects(() => runContactImport(w.context, uploaded.id), /went away/)
    const stopped = (await findContactImport(w.context, uploaded.id))!
    assert.include(stopped, { status: 'running', processed: 2000, created: 2000 })
    assert.lengthOf(await contactsIn(w.context), 2000)

    // What the queue's retry does: the same job again.
    const resumed = (await runContactImport(w.context, uploaded.id))!
    assert.include(resumed, { status: 'done', created: 4500, updated: 0, processed: 4500 })
    assert.lengthOf(await contactsIn(w.context), 4500)
    const { calls, seen } = await triggerCounts(w.context)
    assert.equal(calls, 2)
    // 4,500 rows plus the failed batch's rows up to the failure: the first batch ran once.
    assert.isAbove(seen, 4500)
    assert.isBelow(seen, 5002)

    const again = (await runContactImport(w.context, uploaded.id))!
    assert.include(again, { status: 'done', created: 4500, updated: 0, errorCount: 0 })
    assert.equal((await triggerCounts(w.context)).seen, seen)
  })
})

test.group('Contact import: unreadable files', () => {
  test('a file that stops being CSV halfway fails the import, keeping the rows before it', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimp')
    const good = Array.from({ length: 10 }, (_, n) => `+155500060${10 + n},Ok ${n}`)
    const done = await importCsv(
      w.context,
      ['phone,name', ...good, '+15550006099,"never closed', ''].join('\n')
    )
    assert.equal(done.status, 'failed')
    assert.match(done.failure!, /Row \d+ could not be read as CSV/)
    assert.lengthOf(await contactsIn(w.context), 10)
  })
})

test.group('Contact import: the job under BullMQ', (group) => {
  withDefaultQueueWorker(group)

  test('a batch that fails is retried by the queue and the import resumes after the rows written', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimp')
    const rows = [['phone', 'name']]
    for (let i = 0; i < 5000; i++) rows.push([`+1555200${String(i).padStart(4, '0')}`, `Q${i}`])
    // The database refuses the third batch once.
    await failOnceAt(w.context, '+15552004500')
    const uploaded = await uploadContactImport(w.context, await csvFile(csvOf(rows)), null)
    await startContactImport(w.context, uploaded.id, {})
    let job = await findContactImport(w.context, uploaded.id)
    const end = Date.now() + 30_000
    while (job!.status !== 'done' && job!.status !== 'failed' && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      job = await findContactImport(w.context, uploaded.id)
    }
    assert.include(job!, { status: 'done', created: 5000, updated: 0, processed: 5000 })
    assert.lengthOf(await contactsIn(w.context), 5000)
    const { calls, seen } = await triggerCounts(w.context)
    assert.equal(calls, 2, 'the failing batch ran twice')
    // 5,000 rows, plus the failed batch's rows up to the failure: the first 4,000 ran once.
    assert.isAbove(seen, 5000)
    assert.isBelow(seen, 6001)
  }).timeout(60_000)
})
