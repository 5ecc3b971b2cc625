import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'

/**
 * POST /campaigns. `template.variables` maps each body variable's number to
 * text with `{{contact.<field>}}` placeholders (`|fallback` optional);
 * `audience` is exactly one of segment_id, labels or contact_ids;
 * `quiet_hours` `{start, end}` (HH:MM, contact-local) or null for none.
 */
const clock = () =>
  vine
    .string()
    .trim()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/)

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
  // HH:MM in each contact's zone; null sends at any hour; absent: 21:00–09:00.
  quiet_hours: vine.object({ start: clock(), end: clock() }).nullable().optional(),
  // Marketing to "not asked" consent: only where the workspace's settings allow it.
  allow_unknown_consent: vine.boolean().optional(),
  requires_approval: vine.boolean().optional(),
})
