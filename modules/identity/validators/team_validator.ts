import vine from '@vinejs/vine'

export const ROLES = ['owner', 'admin', 'agent', 'viewer'] as const

export const inviteMemberValidator = vine.compile(
  vine.object({
    email: vine.string().trim().email().maxLength(254),
    role: vine.enum(ROLES),
  })
)

export const changeRoleValidator = vine.compile(vine.object({ role: vine.enum(ROLES) }))

export const availabilityValidator = vine.compile(
  vine.object({ availability: vine.enum(['online', 'busy', 'offline'] as const) })
)
