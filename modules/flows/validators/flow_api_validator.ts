import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'

/** POST /flows/:id/sessions: who to start the flow with, and its starting variables. */
export const startSessionBody = apiBody({
  contact_id: vine.string().trim().uuid(),
  variables: vine.record(vine.any()).optional(),
})
