import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { queueOutboundMessage, Message } from '#modules/channels/index'
import { Conversation } from '#modules/inbox/index'
import { dueRowsFor, runDueNow, type DueRow } from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'
import { fixClock } from '#app/clock'

/** Holds the app clock at `at` for the rest of the test (the test's cleanup lets it go). */
export function clockAt(cleanup: (fn: () => void) => void, at: DateTime | string) {
  cleanup(fixClock(typeof at === 'string' ? at : at.toISO()!))
}

/** Runs every due step at `at` (the clock is moved there for the run, like a worker would see it). */
export async function runAt(context: TenantContext, at: DateTime) {
  const release = fixClock(at.toISO()!)
  try {
    return await runDueNow({ tenant: context, now: at })
  } finally {
    release()
  }
}

/** An agent's reply in the conversation, through the outbound door (as the composer sends it). */
export function agentSays(context: TenantContext, conversationId: string, text: string) {
  return queueOutboundMessage(context, {
    conversationId,
    content: { type: 'text', text },
    authorType: 'agent',
  })
}

/** The messages the platform wrote on its own (rules) in a conversation, oldest first. */
export function systemMessages(context: TenantContext, conversationId: string) {
  return context.transaction((trx) =>
    Message.query({ client: trx })
      .where('conversation_id', conversationId)
      .where('author_type', 'system')
      .orderBy('created_at')
      .orderBy('id')
  )
}

export function conversationOf(context: TenantContext, conversationId: string) {
  return context.transaction((trx) =>
    Conversation.query({ client: trx }).where('id', conversationId).firstOrFail()
  )
}

export async function dueOf(
  context: TenantContext,
  filter: Parameters<typeof dueRowsFor>[1]
): Promise<DueRow[]> {
  return (await dueRowsFor(context, filter)).sort((a, b) => a.dueAt.toMillis() - b.dueAt.toMillis())
}

/** Rows of one of the pulse tables (read in the tenant's schema). */
export async function rowsOf(
  context: TenantContext,
  table: string,
  where = 'true',
  bindings: any[] = []
) {
  const result = await db.rawQuery(
    `select * from ${context.table(table)} where ${where} order by 1`,
    bindings
  )
  return result.rows as Array<Record<string, any>>
}
