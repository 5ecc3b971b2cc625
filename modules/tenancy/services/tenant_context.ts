import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'

/**
 * The one way to touch a tenant's tables.
 *
 *   await tenant.transaction(async (trx) => {
 *     const contact = await Contact.create({ phone }, { client: trx })
 *     return trx.from('contacts').where('phone', phone)
 *   })
 *
 * Each call runs in its own transaction that starts with
 * `SET LOCAL search_path`, so unqualified table names resolve in the tenant's
 * schema and nothing survives the transaction: the setting never leaks to the
 * next user of a pooled connection, nor (in the embedded database, where
 * every connection shares one session) to anyone else, because the embedded
 * server runs one transaction at a time.
 *
 * Keep the callback to database work: in embedded mode an open transaction
 * holds the whole database, so never await the network (an LLM, the Graph
 * API) inside it. Central tables are not on the path; read them before.
 */
export class TenantContext {
  constructor(
    readonly id: string,
    readonly slug: string,
    readonly schema: string
  ) {}

  /**
   * `"tenant_acme".messages`: a table named with its schema, for a single
   * statement that needs no transaction (ARCHITECTURE.md's other way).
   */
  table(name: string) {
    return `${quoteIdent(this.schema)}.${name}`
  }

  /**
   * A model query on the tenant's table named with its schema
   * (`from "tenant_acme"."conversations"`): one read that needs no
   * transaction, so it costs one round trip instead of four (BEGIN, SET
   * LOCAL, the read, COMMIT). For reads only: the rows it returns belong to
   * no transaction, so saving them is refused like any unscoped write, and
   * relations cannot be preloaded through it.
   */
  query<Model extends LucidModel>(model: Model): ModelQueryBuilderContract<Model> {
    const query = model.query().withSchema(this.schema)
    schemaNamedQueries.add(query)
    return query
  }

  async transaction<T>(work: (trx: TransactionClientContract) => Promise<T>): Promise<T> {
    const searchPath = await searchPathFor(this.schema)
    return db.transaction(async (trx) => {
      await trx.rawQuery(`set local search_path to ${searchPath}`)
      scopedClients.add(trx)
      return work(trx)
    })
  }
}

/**
 * Transactions opened by TenantContext; tenant models refuse to run outside one.
 */
const scopedClients = new WeakSet<object>()

export function isTenantScoped(client: unknown) {
  return typeof client === 'object' && client !== null && scopedClients.has(client)
}

/** Model queries made by TenantContext.query(), which name the tenant's schema. */
const schemaNamedQueries = new WeakSet<object>()

export function isSchemaNamed(query: object) {
  return schemaNamedQueries.has(query)
}

let extensionSchema: string | null = null

/**
 * pgvector's types and operators must resolve inside tenant schemas. Our
 * platform migration installs it in `extensions`; a server where it was
 * installed earlier elsewhere keeps it there, so ask rather than assume.
 */
async function searchPathFor(schema: string) {
  if (!extensionSchema) {
    const result = await db.rawQuery(
      `select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname = 'vector'`
    )
    extensionSchema = result.rows[0]?.schema ?? null
  }
  const path = [quoteIdent(schema)]
  if (extensionSchema && extensionSchema !== schema) path.push(quoteIdent(extensionSchema))
  return path.join(', ')
}

export function quoteIdent(name: string) {
  return `"${name.replaceAll('"', '""')}"`
}
