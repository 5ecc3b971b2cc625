import vine from '@vinejs/vine'

export const signInValidator = vine.compile(
  vine.object({
    email: vine.string().trim().email().maxLength(254),
    password: vine.string().maxLength(200),
    remember: vine.boolean().optional(),
    next: vine.string().optional(),
  })
)
