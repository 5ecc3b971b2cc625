import vine from '@vinejs/vine'

/** A new account made while accepting an invitation; the e-mail is the invitation's. */
export const acceptInvitationValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
    password: vine.string().minLength(10).maxLength(200).confirmed(),
  })
)
