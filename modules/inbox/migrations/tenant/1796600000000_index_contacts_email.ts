import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Contacts found by e-mail (the API's `email` filter, matched without case)
 * read an index rather than every contact of the workspace.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      'create index if not exists contacts_email_lower_idx on contacts (lower(email))'
    )
  }

  async down() {
    this.schema.raw('drop index if exists contacts_email_lower_idx')
  }
}
