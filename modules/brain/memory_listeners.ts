import emitter from '@adonisjs/core/services/emitter'
import { scheduleMemoryUpdate, scheduleMemoryUpdateInBatch } from './jobs/update_memory_job.js'

/*
| Conversational memory follows the channels' events: a resolved
| conversation is remembered at once; a chat that goes on is remembered
| once it has been quiet for a while (each inbound message restarts the
| wait; a batch of messages handed on together restarts it once). The job is idempotent, so an event delivered twice costs nothing.
*/
export function registerMemoryListeners() {
  emitter.on('conversation:resolved', async (event) => {
    await scheduleMemoryUpdate({ slug: event.tenant }, event.conversationId, 0)
  })
  emitter.on('message:received', async (event) => {
    await scheduleMemoryUpdateInBatch({ slug: event.tenant }, event.conversationId)
  })
}
