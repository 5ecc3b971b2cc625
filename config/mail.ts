import env from '#start/env'
import { defineConfig, transports } from '@adonisjs/mail'
import type { InferMailers } from '@adonisjs/mail/types'
import { DevMailboxTransport } from '#app/mail/dev_mailbox_transport'

/**
 * SMTP when SMTP_HOST is set; otherwise the development mailbox (the log and
 * /dev/mailbox), so every flow that sends mail works with no mail server.
 */
const smtpHost = env.get('SMTP_HOST')

const mailConfig = defineConfig({
  default: smtpHost ? 'smtp' : 'mailbox',
  from: {
    address: env.get('MAIL_FROM_ADDRESS', 'no-reply@flomastr.test'),
    name: env.get('MAIL_FROM_NAME', 'FloMastr'),
  },
  mailers: {
    smtp: transports.smtp({
      host: smtpHost ?? 'localhost',
      port: env.get('SMTP_PORT', 587),
      secure: env.get('SMTP_SECURE', false),
      auth: env.get('SMTP_USERNAME')
        ? {
            type: 'login',
            user: env.get('SMTP_USERNAME')!,
            pass: env.get('SMTP_PASSWORD', ''),
          }
        : undefined,
    }),
    mailbox: () => new DevMailboxTransport(),
  },
})

export default mailConfig

declare module '@adonisjs/mail/types' {
  export interface MailersList extends InferMailers<typeof mailConfig> {}
}
