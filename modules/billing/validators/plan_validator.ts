import vine from '@vinejs/vine'

const limit = () => vine.number().withoutDecimals().min(0).max(2_147_483_647).optional()

/**
 * One validator for creating and editing; `planId` (the plan being edited,
 * or null) keeps its own slug from counting as taken.
 */
export const planValidator = vine.withMetaData<{ planId: string | null }>().compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
    slug: vine
      .string()
      .trim()
      .toLowerCase()
      .minLength(2)
      .maxLength(60)
      .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/)
      .unique(async (db, value, field) => {
        const query = db.from('plans').where('slug', value)
        if (field.meta.planId) query.whereNot('id', field.meta.planId)
        return !(await query.first())
      }),
    price_label: vine.string().trim().maxLength(60).optional(),
    max_seats: limit(),
    max_channels: limit(),
    max_conversations_per_month: limit(),
    max_ai_answers_per_month: limit(),
    max_knowledge_mb: limit(),
    // Blank: the platform default (API_REQUESTS_PER_MINUTE); zero would lock the API.
    api_requests_per_minute: vine.number().withoutDecimals().min(1).max(1_000_000).optional(),
    is_default: vine.boolean().optional(),
  })
)
