import vine from '@vinejs/vine'

/** At least 10 characters; long passphrases welcome. */
const newPassword = () => vine.string().minLength(10).maxLength(200).confirmed()

export const forgotPasswordValidator = vine.compile(
  vine.object({ email: vine.string().trim().email().maxLength(254) })
)

export const resetPasswordValidator = vine.compile(vine.object({ password: newPassword() }))

export const changePasswordValidator = vine.compile(
  vine.object({ current_password: vine.string().maxLength(200), password: newPassword() })
)
