import queue from '@rlanz/bull-queue/services/main'
import type { MailerMessenger } from '@adonisjs/mail/types'
import SendMailJob from '#app/mail/send_mail_job'

/**
 * `mail.sendLater()` hands compiled messages to BullMQ's `mail` queue, so a
 * slow or failing SMTP server never slows a request or loses a message, and
 * every request takes the same time whether it sent mail or not.
 */
export class QueueMessenger implements MailerMessenger {
  constructor(private mailer: string) {}

  async queue(mail: Parameters<MailerMessenger['queue']>[0], config?: unknown) {
    await queue.dispatch(
      SendMailJob as any,
      { mailer: this.mailer, mail, config },
      { queueName: 'mail' }
    )
  }
}
