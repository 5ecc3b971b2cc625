import vine from '@vinejs/vine'

/** The name; the filter's conditions are checked by the inbox against the workspace's fields. */
export const segmentValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
  })
)
