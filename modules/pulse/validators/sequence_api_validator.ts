import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'

/** POST /sequences/:id/enrollments: the contact to enroll. */
export const enrollBody = apiBody({
  contact_id: vine.string().trim().uuid(),
})
