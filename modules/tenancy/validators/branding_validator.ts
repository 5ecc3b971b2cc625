import vine from '@vinejs/vine'

/** `#rrggbb` only: the stylesheet and the contrast check rely on it. */
const sixDigitHex = vine.createRule((value, _options, field) => {
  if (!field.isValid) return
  if (typeof value !== 'string' || !/^#[0-9a-f]{6}$/i.test(value)) {
    field.report('Enter a colour such as #0f766e.', 'hexCode', field)
  }
})

/**
 * The size is checked here; the kind (its name says PNG, JPEG or SVG, and
 * its bytes agree) by `inspectLogo` after, with messages of its own.
 */
export const brandingValidator = vine.compile(
  vine.object({
    display_name: vine.string().trim().maxLength(120).optional(),
    primary_color: vine.string().trim().use(sixDigitHex()).optional(),
    logo: vine.file({ size: '1mb' }).optional(),
  })
)
