import app from '@adonisjs/core/services/app'
import queue from '@rlanz/bull-queue/services/main'
import type queueConfig from '#config/queue'

/*
| Periodic work (the recovery sweeps) runs as BullMQ job schedulers: one
| schedule per cluster, kept in Redis under a fixed id, so however many
| worker processes start, each period makes one job and one of them runs
| it. (A timer in every process would sweep once per process per period.)
| A module declares its schedule and upserts it when a pool starts the
| queue the work belongs to; upserting an existing schedule changes nothing.
*/

export interface Schedule {
  /** The scheduler's id: the same in every process, which is what makes it one. */
  id: string
  /** The queue whose workers run it. */
  queue: string
  /** The job class (a @rlanz/bull-queue Job) each period runs. */
  job: { $$filepath: string }
  everyMs: number
}

/** The period, unless config/queue.ts's `scheduleEveryMs` sets another for this id. */
export function scheduleEveryMs(schedule: Schedule) {
  const config = app.config.get<typeof queueConfig>('queue')
  return config.scheduleEveryMs[schedule.id] ?? schedule.everyMs
}

/** Creates the schedule, or leaves the existing one as it is. A new schedule runs its first job at once. */
export async function upsertSchedule(schedule: Schedule) {
  await queue.getOrSet(schedule.queue).upsertJobScheduler(
    schedule.id,
    { every: scheduleEveryMs(schedule) },
    {
      name: schedule.job.$$filepath,
      data: {},
      // A period's run that fails is not retried: the next period runs anyway.
      opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } },
    }
  )
}

/**
 * Runs the schedule's next period now rather than at its time: for work
 * that should happen when workers (re)start. Moving the pending run forward
 * (BullMQ names it `repeat:<id>:<time>`) rather than adding one keeps one
 * run per period however many processes start at once: the first moves it,
 * the others find it no longer waiting for its time.
 */
export async function runScheduleNow(schedule: Schedule) {
  const bullQueue = queue.getOrSet(schedule.queue)
  const scheduler = await bullQueue.getJobScheduler(schedule.id)
  if (!scheduler?.next) return
  const pending = await bullQueue.getJob(`repeat:${schedule.id}:${scheduler.next}`)
  if (!pending || !(await pending.isDelayed())) return
  await pending.promote().catch(async (error) => {
    // Another process moved it first (or it just came due): it runs either way.
    if (await pending.isDelayed()) throw error
  })
}
