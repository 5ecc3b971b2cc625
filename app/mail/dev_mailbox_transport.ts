import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import { MailResponse } from '@adonisjs/mail'
import type { MailTransportContract, NodeMailerMessage, Recipient } from '@adonisjs/mail/types'

/**
 * Stands in for SMTP when none is configured: each message is written to the
 * log and to the `dev_mails` table, which the development mailbox page
 * (/dev/mailbox) lists, so sign-up, reset and invitation flows work offline.
 */
export class DevMailboxTransport implements MailTransportContract {
  async send(message: NodeMailerMessage) {
    const messageId = `<${randomUUID()}@flomastr.dev>`
    const from = formatRecipient(message.from)
    const to = (message.to ?? []).map(formatRecipient)
    await db.table('dev_mails').insert({
      message_id: messageId,
      from_address: from,
      to_addresses: to.join(', '),
      subject: String(message.subject ?? ''),
      html: message.html ? String(message.html) : null,
      text: message.text ? String(message.text) : null,
    })
    logger.info({ to, subject: message.subject }, 'mail written to the development mailbox')
    return new MailResponse(messageId, { from, to }, undefined)
  }
}

function formatRecipient(recipient: Recipient | undefined): string {
  if (!recipient) return ''
  if (typeof recipient === 'string') return recipient
  return recipient.name ? `${recipient.name} <${recipient.address}>` : recipient.address
}

/** The development mailbox's latest e-mails, newest first. */
export function recentDevMails(limit = 100) {
  return db.from('dev_mails').orderBy('id', 'desc').limit(limit)
}

export function findDevMail(id: number) {
  return db.from('dev_mails').where('id', id).first()
}
