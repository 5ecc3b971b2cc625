/**
 * Inbound work has its own queue so a burst of webhooks never waits behind
 * mail or exports, and a deployment can give it its own worker processes
 * (`node ace queue:work --queue inbound`). A module of its own, importing
 * nothing: schedules and listeners read the name at load time, and reading
 * it through inbound_queue.ts (which loads the jobs) made an import cycle
 * whose order decides whether the name exists yet.
 */
export const INBOUND_QUEUE = 'inbound'
