import { createContact } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'
import { freshPhone, makeKey } from '../integrations/api_client.js'

/*
| What the brain's API tests share: a workspace with a key, a multipart
| upload as n8n's HTTP node sends it, a short policy and a contact with memory.
*/

export type Cleanup = (fn: () => void | Promise<void>) => void

export const POLICY = `# Medical Malpractice Policy

## Locum work

Locum work is covered when you work as a locum tenens for up to 90 days a year.

## Claims

To make a claim, call the claims line within 30 days and quote your policy number.`

export async function tenantWithKey(cleanup: Cleanup, prefix = 'bapi') {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  return { ...made, token }
}

/** A multipart POST, as n8n's HTTP node sends a binary file. */
export async function upload(
  path: string,
  token: string,
  file: { name: string; content: string | Buffer; type?: string },
  fields: Record<string, string> = {},
  headers: Record<string, string> = {}
) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append(
    'file',
    new Blob([file.content], { type: file.type ?? 'application/octet-stream' }),
    file.name
  )
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
    body: form,
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    json: text ? JSON.parse(text) : null,
  }
}

export async function contactWithMemory(context: TenantContext) {
  const contact = await createContact(context, {
    phone: freshPhone(),
    name: 'Dr Amira Haddad',
    email: null,
    tags: [],
    notes: null,
    attributes: {},
    optIn: 'unknown',
  })
  await context.transaction(async (trx) => {
    await trx.table('contact_memories').insert({
      contact_id: contact.id,
      summary: 'A locum GP asking about cover at a second clinic.',
    })
    await trx.table('contact_memory_facts').insert({
      contact_id: contact.id,
      kind: 'policy_number',
      value: 'MP-2291',
      value_key: 'mp-2291',
    })
  })
  return contact
}
