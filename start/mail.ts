/*
| `mail.sendLater()` goes through BullMQ's `mail` queue (see app/mail).
*/
import mail from '@adonisjs/mail/services/main'
import { QueueMessenger } from '#app/mail/queue_messenger'

mail.setMessenger((mailer) => new QueueMessenger(mailer.name))
