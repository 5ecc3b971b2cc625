import vine from '@vinejs/vine'
import { CONTACT_FIELD_TYPES, FIELD_KEY } from '../services/contact_field_service.js'

const editable = {
  label: vine.string().trim().minLength(1).maxLength(100),
  required: vine.boolean().optional(),
  choices: vine.string().maxLength(5000).optional(),
}

export const createContactFieldValidator = vine.compile(
  vine.object({
    key: vine.string().trim().regex(FIELD_KEY),
    type: vine.enum(CONTACT_FIELD_TYPES),
    ...editable,
  })
)

/** The key and type stay as they were created: stored values depend on them. */
export const updateContactFieldValidator = vine.compile(vine.object(editable))
