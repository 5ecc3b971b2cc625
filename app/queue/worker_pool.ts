import { Worker, type Job as BullJob } from 'bullmq'
import type { ApplicationService } from '@adonisjs/core/types'
import type { Logger } from '@adonisjs/core/logger'
import type { Job } from '@rlanz/bull-queue'
import emitter from '@adonisjs/core/services/emitter'
import type queueConfig from '#config/queue'

/**
 * A pool announces the queues it starts and stops, so a module can run
 * companion work next to its workers (channels sweeps stored webhooks that
 * never reached the queue) without app/ knowing about modules.
 */
declare module '@adonisjs/core/types' {
  interface EventsList {
    'queue:started': { queues: string[] }
    'queue:stopping': { queues: string[] }
  }
}

/**
 * Runs queue workers. Jobs are dispatched through @rlanz/bull-queue, whose
 * job name is the job file's URL; this pool imports that file and runs it.
 *
 * Why not the package's own `process()`: when a job class cannot be loaded it
 * logs and returns, which BullMQ records as success and the work is gone. Here
 * every failure is thrown, so BullMQ retries it and keeps it in the failed set.
 */
export class WorkerPool {
  #workers: Worker[] = []

  constructor(
    private app: ApplicationService,
    private logger: Logger
  ) {}

  get running() {
    return this.#workers.length > 0
  }

  start(queueNames?: string[]) {
    const config = this.app.config.get<typeof queueConfig>('queue')
    const names = queueNames ?? config.queueNames ?? ['default']
    for (const name of names) {
      const worker = new Worker(name, (job) => this.#run(job), {
        ...config.worker,
        ...config.queueWorkers[name],
        connection: config.defaultConnection,
      })
      worker.on('failed', (job, error) => this.#onFailed(job, error))
      worker.on('error', (error) =>
        this.logger.error({ err: error, queue: name }, 'queue worker error')
      )
      this.#workers.push(worker)
    }
    this.logger.info(`queue workers started on ${names.join(', ')}`)
    emitter.emit('queue:started', { queues: names }).catch((error) => {
      this.logger.error({ err: error }, 'queue:started listener failed')
    })
  }

  async stop() {
    const workers = this.#workers
    this.#workers = []
    if (workers.length) {
      await emitter.emit('queue:stopping', { queues: workers.map((worker) => worker.name) })
    }
    // A worker started just before (a test group's teardown starts the mail
    // worker again, then the suite stops it) may still be asking Redis for its
    // version: closing then rejects that request inside BullMQ, where nothing
    // handles it. Wait for it to be ready (or to fail) before closing.
    await Promise.all(
      workers.map(async (worker) => {
        await worker.waitUntilReady().catch(() => {})
        await worker.close()
      })
    )
  }

  async #instantiate(job: BullJob): Promise<Job> {
    const { default: JobClass } = await import(job.name)
    const instance = await this.app.container.make(JobClass)
    ;(instance as Job).$injectInternal({ job, logger: this.logger } as never)
    return instance as Job
  }

  async #run(job: BullJob) {
    const instance = await this.#instantiate(job)
    return this.app.container.call(instance as any, 'handle', [job.data])
  }

  async #onFailed(job: BullJob | undefined, error: Error) {
    if (!job) return
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1)
    this.logger.error(
      { err: error, job: job.name, jobId: job.id, attempt: job.attemptsMade },
      exhausted ? 'job failed for good' : 'job failed, will retry'
    )
    if (!exhausted) return
    try {
      const instance = await this.#instantiate(job)
      if (typeof (instance as any).rescue === 'function') {
        await this.app.container.call(instance as any, 'rescue', [job.data, error])
      }
    } catch (rescueError) {
      this.logger.error({ err: rescueError, job: job.name }, 'job rescue failed')
    }
  }
}
