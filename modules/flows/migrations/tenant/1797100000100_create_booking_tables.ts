import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The session booker: services a workspace offers, who gives them, each
 * member's weekly hours, zone and days off, short holds on offered slots,
 * and the bookings themselves. Members are central users, named by id.
 *
 * A member can never be booked twice for overlapping time: the exclusion
 * constraint on (member, [start, end + buffer)) over live bookings is
 * checked by the database itself, so racing requests cannot both win
 * (btree_gist supplies the uuid equality inside the GiST index).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('booking_services', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.integer('duration_minutes').notNullable().checkBetween([5, 720])
      table.integer('buffer_minutes').notNullable().defaultTo(0).checkBetween([0, 240])
      table.string('price_text', 60).notNullable().defaultTo('')
      table.boolean('active').notNullable().defaultTo(true)
      // The approved template confirmations and reminders use outside WhatsApp's
      // 24-hour window: its one body variable receives the message's text.
      table.string('template_name', 512).nullable()
      table.string('template_language', 15).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('booking_service_members', (table) => {
      table
        .uuid('service_id')
        .notNullable()
        .references('id')
        .inTable('booking_services')
        .onDelete('CASCADE')
      table.uuid('member_id').notNullable()
      table.primary(['service_id', 'member_id'])
    })

    this.schema.createTable('booking_member_hours', (table) => {
      table.uuid('member_id').primary()
      table.string('time_zone', 64).notNullable().defaultTo('UTC')
      // {"mon": [["09:00","17:00"]], ...}: wall-clock windows in the member's zone.
      table.jsonb('weekly').notNullable().defaultTo('{}')
      // ["2026-12-24", ...]: whole local days off.
      table.jsonb('days_off').notNullable().defaultTo('[]')
      // sha256 of the private ICS feed token; null until one is made.
      table.string('feed_token_hash', 64).nullable().unique()
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('booking_holds', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('service_id')
        .notNullable()
        .references('id')
        .inTable('booking_services')
        .onDelete('CASCADE')
      table.uuid('member_id').notNullable()
      table.uuid('contact_id').nullable().references('id').inTable('contacts').onDelete('CASCADE')
      table.timestamp('starts_at', { useTz: true }).notNullable()
      table.timestamp('blocks_until', { useTz: true }).notNullable()
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.index(['member_id', 'expires_at'])
    })

    this.schema.createTable('bookings', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('service_id')
        .notNullable()
        .references('id')
        .inTable('booking_services')
        .onDelete('RESTRICT')
      table.uuid('member_id').notNullable()
      table
        .uuid('contact_id')
        .notNullable()
        .references('id')
        .inTable('contacts')
        .onDelete('CASCADE')
      table.timestamp('starts_at', { useTz: true }).notNullable()
      table.timestamp('ends_at', { useTz: true }).notNullable()
      // ends_at plus the service's buffer: the member is busy until then.
      table.timestamp('blocks_until', { useTz: true }).notNullable()
      table
        .string('status', 10)
        .notNullable()
        .defaultTo('confirmed')
        .checkIn(['confirmed', 'cancelled'])
      // The customer's zone when booked: confirmations and reminders speak it.
      table.string('time_zone', 64).notNullable().defaultTo('UTC')
      // Bumped on every change, for the ICS SEQUENCE.
      table.integer('revision').notNullable().defaultTo(0)
      table.string('cancelled_by', 10).nullable()
      table.timestamp('cancelled_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['starts_at', 'id'])
      table.index(['contact_id', 'starts_at'])
    })
    this.schema.raw(
      `alter table bookings add constraint bookings_member_no_overlap
         exclude using gist (member_id with =, tstzrange(starts_at, blocks_until, '[)') with &&)
         where (status <> 'cancelled')`
    )
  }

  async down() {
    this.schema.dropTable('bookings')
    this.schema.dropTable('booking_holds')
    this.schema.dropTable('booking_member_hours')
    this.schema.dropTable('booking_service_members')
    this.schema.dropTable('booking_services')
  }
}
