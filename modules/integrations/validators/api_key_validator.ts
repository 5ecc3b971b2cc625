import vine from '@vinejs/vine'

/** Expiry choices offered by the form, in days; empty means never. */
export const EXPIRY_CHOICES = [7, 30, 90, 365] as const

/**
 * The key form's name and expiry. Scopes are checkboxes, read by the
 * controller (one box sends a string, several an array).
 */
export const createApiKeyValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
    expires_in_days: vine.number().withoutDecimals().min(1).max(3650).optional(),
  })
)
