import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'
import { e164 } from './contact_api_validator.js'

export const MESSAGE_TYPES = ['text', 'media', 'template', 'interactive'] as const
export const MEDIA_KINDS = ['image', 'video', 'audio', 'document', 'sticker'] as const

/*
| POST /messages. The shape is checked here; what WhatsApp would refuse
| (lengths, button counts, the template's variables, the 24-hour window,
| opt-out) is checked by the channels module's one door for sending, as for
| the inbox composer. Exactly one recipient (contact_id or to) and the part
| named by `type` are required: the controller says which field is missing.
*/
export const sendMessageBody = apiBody({
  channel_id: vine.string().uuid(),
  contact_id: vine.string().uuid().optional(),
  to: vine.string().trim().use(e164()).optional(),
  type: vine.enum(MESSAGE_TYPES),
  text: vine.string().maxLength(4096).optional(),
  preview_url: vine.boolean().optional(),
  media: vine
    .object({
      kind: vine.enum(MEDIA_KINDS),
      link: vine
        .string()
        .url({ protocols: ['https'], require_protocol: true })
        .optional(),
      id: vine.string().maxLength(255).optional(),
      caption: vine.string().maxLength(1024).optional(),
      filename: vine.string().maxLength(240).optional(),
    })
    .optional(),
  template: vine
    .object({
      name: vine.string().maxLength(512),
      language: vine.string().maxLength(16),
      variables: vine.array(vine.string().maxLength(1024)).maxLength(100).optional(),
      header_media: vine
        .object({
          type: vine.enum(['image', 'video', 'document'] as const),
          link: vine.string().url({ protocols: ['https'], require_protocol: true }),
        })
        .optional(),
    })
    .optional(),
  interactive: vine
    .object({
      type: vine.enum(['buttons', 'list'] as const),
      body: vine.string().maxLength(1024),
      header: vine.string().maxLength(60).optional(),
      footer: vine.string().maxLength(60).optional(),
      buttons: vine
        .array(
          vine.object({ id: vine.string().maxLength(256), title: vine.string().maxLength(20) })
        )
        .maxLength(3)
        .optional(),
      button: vine.string().maxLength(20).optional(),
      sections: vine
        .array(
          vine.object({
            title: vine.string().maxLength(24).optional(),
            rows: vine
              .array(
                vine.object({
                  id: vine.string().maxLength(200),
                  title: vine.string().maxLength(24),
                  description: vine.string().maxLength(72).optional(),
                })
              )
              .maxLength(10),
          })
        )
        .maxLength(10)
        .optional(),
    })
    .optional(),
})
