import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'

/**
 * POST /campaigns. `template.variables` maps each body variable's number to
 * text with `{{contact.<field>}}` placeholders (`|fallback` optional);
 * `audience` is exactly one of segment_id, labels or contact_ids.
 */
export const createCampaignBody = apiBody({
  name: vine.string().trim().minLength(1).maxLength(120),
  channel_id: vine.string().trim(),
  template: vine.object({
    name: vine.string().trim().minLength(1).maxLength(512),
    language: vine.string().trim().minLength(2).maxLength(15),
    variables: vine.record(vine.string().maxLength(1024)).optional(),
  }),
  audience: vine.object({
    segment_id: vine.string().trim().optional(),
    labels: vine
      .array(vine.string().trim().minLength(1).maxLength(60))
      .minLength(1)
      .maxLength(20)
      .optional(),
    contact_ids: vine.array(vine.string().trim()).minLength(1).maxLength(10_000).optional(),
  }),
  schedule_at: vine.date({ formats: { utc: true } }).optional(),
  local_time: vine.boolean().optional(),
})
