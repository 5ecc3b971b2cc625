import queue from '@rlanz/bull-queue/services/main'
import ProcessWebhookEventJob from '../jobs/process_webhook_event_job.js'
import DeliverConversationJob from '../jobs/deliver_conversation_job.js'

/**
 * Inbound work has its own queue so a burst of webhooks never waits behind
 * mail or exports, and a deployment can give it its own worker processes
 * (`node ace queue:work --queue inbound`).
 */
export const INBOUND_QUEUE = 'inbound'

/**
 * How long a conversation's delivery job waits before handing messages on.
 * WhatsApp does not promise to deliver webhooks in order; messages of one
 * conversation that arrive within this window are handed downstream sorted
 * by WhatsApp's timestamp. A message that arrives later than that, stamped
 * earlier than one already handed on, follows it (the alternative is holding
 * every conversation back indefinitely).
 */
export const ORDER_WINDOW_MS = 1_000

/** The enqueue must not hold the webhook's answer hostage to a slow Redis. */
const ENQUEUE_TIMEOUT_MS = 2_000

/**
 * Queues the processing of one stored webhook. The job id makes a second
 * dispatch of the same event (the recovery sweep racing the request) a no-op.
 */
export async function enqueueWebhookEvent(tenant: string, eventId: string, receivedAt: Date) {
  const dispatch = queue.dispatch(
    ProcessWebhookEventJob,
    { tenant, eventId },
    { queueName: INBOUND_QUEUE, jobId: webhookJobId(eventId, receivedAt) }
  )
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`)),
      ENQUEUE_TIMEOUT_MS
    )
  })
  try {
    return await Promise.race([dispatch, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Stable for one stored event (so the sweep and the request dedupe), but not
 * a bare sequence number: a database restored or recreated behind the same
 * Redis starts its ids again, and BullMQ would take a new event for an old,
 * completed job and silently never run it.
 */
export function webhookJobId(eventId: string, receivedAt: Date) {
  return `wh-${eventId}-${receivedAt.getTime()}`
}

/**
 * Queues the hand-off of a conversation's new inbound messages.
 *
 * Why BullMQ deduplication and not a fixed jobId: a fixed id also matches a
 * job that is running or finished and kept, and BullMQ would silently drop
 * the new dispatch, stranding the message. Deduplication with
 * keepLastIfActive gives exactly what ordering needs: while one delivery of
 * a conversation waits, further dispatches join it; while one runs, one
 * follow-up is parked and created when it finishes. So a conversation never
 * has two deliveries running at once, and no message is left behind.
 */
export function enqueueConversationDelivery(tenant: string, conversationId: string) {
  return queue.dispatch(
    DeliverConversationJob,
    { tenant, conversationId },
    {
      queueName: INBOUND_QUEUE,
      delay: ORDER_WINDOW_MS,
      deduplication: { id: `conv:${tenant}:${conversationId}`, keepLastIfActive: true },
      removeOnComplete: true,
    }
  )
}
