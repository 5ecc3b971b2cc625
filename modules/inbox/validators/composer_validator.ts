import vine from '@vinejs/vine'

/*
| The composer's forms. They only give shape here: what a reply, a note or a
| template may say is the composer service's and the channel's rule (the
| 24-hour window, a file's kind and size as its bytes show), refused with
| the composer's own messages. A key that is not a UUID only loses the
| double-submit guard, so it is not refused.
*/

const idempotencyKey = vine.string().trim().maxLength(100).optional()

/** A reply: text, or a file (an empty file input's nameless part is left out) with a caption. */
export const replyFormValidator = vine.compile(
  vine.object({
    text: vine.string().optional(),
    attachment: vine.file().optional(),
    idempotency_key: idempotencyKey,
  })
)

export const noteFormValidator = vine.compile(vine.object({ note: vine.string().optional() }))

/**
 * Which template (the names WhatsApp allows: lower-case letters, digits and
 * underscores; a language code like en_US) and, to send it, its variables
 * in order and the header's media link.
 */
export const templateFormValidator = vine.compile(
  vine.object({
    name: vine
      .string()
      .trim()
      .regex(/^[a-z0-9_]{1,512}$/)
      .optional(),
    language: vine
      .string()
      .trim()
      .regex(/^[A-Za-z_]{2,10}$/)
      .optional(),
    // variables[0], variables[1]...: an array, or an object keyed by position when sparse.
    variables: vine
      .any()
      .transform((value: unknown) => {
        if (Array.isArray(value)) return value.map((item) => String(item ?? '').trim())
        if (value && typeof value === 'object') {
          return Object.entries(value as Record<string, unknown>)
            .filter(([position]) => /^\d+$/.test(position))
            .sort(([a], [b]) => Number(a) - Number(b))
            .map(([, item]) => String(item ?? '').trim())
        }
        return [] as string[]
      })
      .optional(),
    header_media: vine.string().trim().optional(),
    idempotency_key: idempotencyKey,
  })
)
