import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'
import { ON_TIMEOUT, SOURCE_TYPES, TASK_PRIORITIES } from '../models/task.js'

/*
| Request bodies of the tasks API. Components are checked by the component
| schema (services/components.ts), which names the component and the field
| of every problem; VineJS checks the envelope around them.
*/

const time = vine.string().trim().maxLength(40).nullable().optional()

export const createTaskBody = apiBody({
  kind: vine
    .string()
    .trim()
    .regex(/^[a-z0-9_.:-]{1,60}$/i),
  title: vine.string().trim().minLength(1).maxLength(200),
  description: vine.string().maxLength(20_000).nullable().optional(),
  priority: vine.enum(TASK_PRIORITIES).optional(),
  due_at: time,
  expires_at: time,
  on_timeout: vine.enum(ON_TIMEOUT).optional(),
  assignee: vine
    .object({
      user_id: vine.string().trim().uuid().nullable().optional(),
      role: vine.string().trim().nullable().optional(),
    })
    .nullable()
    .optional(),
  contact_id: vine.string().trim().uuid().nullable().optional(),
  conversation_id: vine.string().trim().uuid().nullable().optional(),
  components: vine.any(),
  action: vine
    .object({
      type: vine.enum(['callback', 'send_message', 'none'] as const),
      text_from: vine.string().trim().maxLength(60).optional(),
    })
    .nullable()
    .optional(),
  allowed: vine
    .object({
      edit: vine.boolean().optional(),
      reject_reasons: vine
        .array(vine.string().trim().minLength(1).maxLength(200))
        .maxLength(20)
        .optional(),
    })
    .nullable()
    .optional(),
  source: vine
    .object({
      type: vine.enum(SOURCE_TYPES).optional(),
      ref: vine.string().trim().maxLength(200).nullable().optional(),
    })
    .nullable()
    .optional(),
  callback_url: vine.string().trim().maxLength(2048).nullable().optional(),
})

export const resolveTaskBody = apiBody({
  decision: vine.enum(['approve', 'reject'] as const),
  values: vine.any().optional(),
  comment: vine.string().trim().maxLength(4000).nullable().optional(),
  reason: vine.string().trim().maxLength(200).nullable().optional(),
  template: vine
    .object({
      name: vine.string().trim().maxLength(512),
      language: vine.string().trim().maxLength(20),
      variables: vine.array(vine.string().maxLength(1024)).maxLength(20).optional(),
    })
    .nullable()
    .optional(),
})

export const cancelTaskBody = apiBody({
  comment: vine.string().trim().maxLength(4000).nullable().optional(),
})
