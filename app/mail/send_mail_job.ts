import { Job } from '@rlanz/bull-queue'
import mail from '@adonisjs/mail/services/main'
import type { NodeMailerMessage, MessageBodyTemplates } from '@adonisjs/mail/types'

export interface SendMailPayload {
  mailer: string
  mail: { message: NodeMailerMessage; views: MessageBodyTemplates }
  config?: unknown
}

/**
 * Sends one queued e-mail. A failure is thrown so BullMQ retries it with
 * backoff and keeps it in the failed set when retries run out.
 */
export default class SendMailJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  async handle(payload: SendMailPayload) {
    await mail.use(payload.mailer as never).sendCompiled(payload.mail, payload.config)
  }

  async rescue(payload: SendMailPayload, error: Error) {
    this.logger.error(
      { err: error, to: payload.mail.message.to, subject: payload.mail.message.subject },
      'e-mail could not be sent'
    )
  }
}
