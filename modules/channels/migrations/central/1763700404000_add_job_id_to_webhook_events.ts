import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The queue job that processes a stored webhook. Webhooks stored in one
 * commit are processed by one job per workspace (one Redis round trip and one
 * job for the worker to claim, not one per webhook), so the recovery sweep
 * can no longer derive a job's id from its event: it reads it here. A sweep
 * that requeues an event writes the new job's id, and only the sweep whose
 * update finds the old id in place queues it.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('webhook_events', (table) => {
      table.text('job_id').nullable()
    })
  }

  async down() {
    this.schema.alterTable('webhook_events', (table) => {
      table.dropColumn('job_id')
    })
  }
}
