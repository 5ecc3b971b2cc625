import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import app from '@adonisjs/core/services/app'
import { WEBHOOK_EVENT_TYPES } from '#modules/integrations/services/webhook_events'

/*
| The webhook form lists every event by its name in the reader's language;
| an event without one showed its translation key, which also overflowed the
| page at 390 px.
*/
test.group('Webhook events | names in every language', () => {
  for (const language of ['en', 'ar']) {
    test(`every event has a name in ${language}`, async ({ assert }) => {
      const file = app.makePath('resources', 'lang', language, 'webhooks.json')
      const names = JSON.parse(await readFile(file, 'utf8')).events as Record<string, string>
      const missing = WEBHOOK_EVENT_TYPES.filter((type) => !names[type.replace('.', '_')])
      assert.deepEqual(missing, [])
    })
  }
})
