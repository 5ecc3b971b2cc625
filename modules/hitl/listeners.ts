import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { usableTenantContext } from '#modules/tenancy/index'
import { publishEvent } from '#modules/integrations/index'
import Task from './models/task.js'
import type { TaskEvent } from './events.js'
import { presentTask } from './services/task_presenter.js'
import { startTaskExpiry } from './jobs/task_expiry_job.js'
import { registerThreadAnnotator } from '#modules/inbox/index'
import { annotateThreadTasks } from './services/thread_tasks.js'
import { publishTaskNotice } from './services/live.js'
import { onMediaStored } from './services/quotes/whatsapp_quotes.js'

/**
 * Task events become webhook events (task.created, task.resolved), each
 * once per task (their ids derive from the task's), and the expiry sweep's
 * schedule starts where a worker pool works the default queue; the inbox
 * thread shows a conversation's pending tasks; open pages hear of changes.
 */
export function registerHitlListeners() {
  // The inbox thread shows the conversation's pending tasks (a draft reply to approve there).
  registerThreadAnnotator(annotateThreadTasks)
  const publish = async (slug: string, type: 'task.created' | 'task.resolved', taskId: string) => {
    const tenant = await usableTenantContext(slug)
    if (!tenant) return
    await publishEvent(tenant, type, `${type}:${taskId}`, async (trx) => {
      const task = await Task.query({ client: trx }).where('id', taskId).first()
      return task ? presentTask(task) : null
    })
  }
  const safely = (work: Promise<void>, type: string, tenant: string) =>
    work.catch((error) => logger.error({ err: error, tenant, type }, 'task webhook not queued'))

  // Open task inboxes (and the thread of a task's conversation) refresh.
  const notify = (e: TaskEvent, change: 'created' | 'resolved') =>
    publishTaskNotice({
      tenantId: e.tenantId,
      taskId: e.taskId,
      change,
      status: e.status,
      conversationId: e.conversationId,
    })
  emitter.on('hitl:task_created', (e) => notify(e, 'created'))
  emitter.on('hitl:task_resolved', (e) => notify(e, 'resolved'))

  emitter.on('hitl:task_created', (e) =>
    safely(publish(e.tenant, 'task.created', e.taskId), 'task.created', e.tenant)
  )
  emitter.on('hitl:task_resolved', (e) =>
    safely(publish(e.tenant, 'task.resolved', e.taskId), 'task.resolved', e.tenant)
  )

  // Customers' quote PDFs on WhatsApp start the analyzer (when the workspace wants it).
  emitter.on('message:media_stored', async (e) => {
    try {
      const tenant = await usableTenantContext(e.tenant)
      if (tenant) await onMediaStored(tenant, e)
    } catch (error) {
      logger.error({ err: error, tenant: e.tenant }, 'customer quotes check not queued')
    }
  })

  emitter.on('queue:started', async ({ queues }) => {
    if (queues.includes('default') && !app.inTest) await startTaskExpiry()
  })
}
