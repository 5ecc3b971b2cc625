import vine from '@vinejs/vine'

/**
 * A channel's assignment settings form: checkboxes, so an absent box means
 * off. `assign_on_reply_shown` says the form offered assign-on-reply at all
 * (absent, the setting is left as it is).
 */
export const channelAssignmentValidator = vine.compile(
  vine.object({
    auto_assign: vine.boolean().optional(),
    assign_on_reply: vine.boolean().optional(),
    assign_on_reply_shown: vine.boolean().optional(),
  })
)
