import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'

export interface DevMail {
  id: number
  to_addresses: string
  subject: string
  text: string | null
  html: string | null
}

/**
 * The newest message to `address` in the development mailbox, waiting for
 * the mail queue to deliver it (the suite runs that queue in-process).
 */
export async function waitForMail(address: string, timeoutMs = 10_000): Promise<DevMail> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const mail = await db
      .from('dev_mails')
      .whereILike('to_addresses', `%${address}%`)
      .orderBy('id', 'desc')
      .first()
    if (mail) return mail
    await sleep(100)
  }
  throw new Error(`no mail to ${address} within ${timeoutMs} ms`)
}

export async function mailCount(address: string): Promise<number> {
  const row = await db
    .from('dev_mails')
    .whereILike('to_addresses', `%${address}%`)
    .count('* as total')
    .first()
  return Number(row?.total ?? 0)
}

/** The first link in a message's text body that starts with `path`. */
export function linkIn(mail: DevMail, path: string): string {
  const match = (mail.text ?? '').match(new RegExp(`https?://[^\\s]*${path}[^\\s]*`))
  if (!match) throw new Error(`no ${path} link in: ${mail.text}`)
  return new URL(match[0]).pathname
}
