import vine from '@vinejs/vine'
import { FACT_KINDS } from '../services/memory.js'

/** An agent's summary: as long as a prompt can carry; empty clears it. */
export const MAX_SUMMARY = 2000
export const MAX_FACT_VALUE = 300

export const summaryValidator = vine.compile(
  vine.object({
    summary: vine.string().trim().maxLength(MAX_SUMMARY).optional(),
  })
)

export const factValidator = vine.compile(
  vine.object({
    kind: vine.enum(FACT_KINDS),
    value: vine.string().trim().minLength(1).maxLength(MAX_FACT_VALUE),
  })
)
