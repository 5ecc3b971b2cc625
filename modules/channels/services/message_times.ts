/**
 * When the business last wrote to a contact, as a SQL expression over the
 * tenant's messages (for the inbox's contact filters, which compile to one
 * statement). `contactIdSql` is the outer query's contact id column. It
 * walks the contact's conversations, so messages' conversation index serves it.
 */
export function lastOutboundAtSql(contactIdSql: string) {
  return `select max(m.created_at) from messages m
    where m.conversation_id in (select v.id from conversations v where v.contact_id = ${contactIdSql})
      and m.direction = 'outbound'`
}
