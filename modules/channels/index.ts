/*
| Channels (the WhatsApp Engine) owns contacts, conversations and messages,
| the WhatsApp Cloud API, web chat and sandbox channels, and the team inbox.
*/
import Contact from './models/contact.js'

export { Contact }
