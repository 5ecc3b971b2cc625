import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { BaseSchema } from '@adonisjs/lucid/schema'
import type { QueryClientContract, TransactionClientContract } from '@adonisjs/lucid/types/database'
import tenancyConfig from '#config/tenancy'
import { TenantContext, quoteIdent } from './tenant_context.js'

export interface TenantMigrationFile {
  /** Stable name recorded in the schema: the path from the app root, no extension. */
  name: string
  absolutePath: string
}

export interface TenantSchemaRef {
  id: string
  slug: string
  schemaName: string
}

const TRACKING_TABLE = 'schema_migrations'

/**
 * Runs the tenant migrations inside one tenant's schema.
 *
 * Migration files are ordinary Lucid schema classes. Each runs in its own
 * transaction that first takes an advisory lock on the schema (two processes
 * migrating the same tenant queue up rather than collide), then sets the
 * search_path locally, runs the migration and records it, so a crash leaves
 * every migration either wholly applied and recorded or not at all.
 */
export class TenantMigrator {
  #files: TenantMigrationFile[] | null = null
  #script: Promise<string | null> | null = null

  async files(): Promise<TenantMigrationFile[]> {
    if (this.#files) return this.#files
    const found: TenantMigrationFile[] = []
    for (const folder of tenancyConfig.tenantMigrationPaths) {
      let entries: string[] = []
      try {
        entries = await readdir(app.makePath(folder))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw error
      }
      const names = entries
        .filter((entry) => /\.(ts|js)$/.test(entry) && !entry.endsWith('.d.ts'))
        .sort()
      for (const entry of names) {
        found.push({
          name: `${folder}/${entry.replace(/\.(ts|js)$/, '')}`,
          absolutePath: join(app.makePath(folder), entry),
        })
      }
    }
    this.#files = found
    return found
  }

  async latest(): Promise<string | null> {
    const files = await this.files()
    return files.at(-1)?.name ?? null
  }

  /**
   * Names of migrations applied in the schema; empty when the schema or its
   * tracking table does not exist yet.
   */
  async applied(tenant: TenantSchemaRef): Promise<string[]> {
    const exists = await db.rawQuery(`select to_regclass(?) as name`, [
      `${quoteIdent(tenant.schemaName)}.${TRACKING_TABLE}`,
    ])
    if (!exists.rows[0].name) return []
    const rows = await db
      .from(`${tenant.schemaName}.${TRACKING_TABLE}`)
      .select('name')
      .orderBy('name')
    return rows.map((row) => row.name as string)
  }

  async pending(tenant: TenantSchemaRef): Promise<TenantMigrationFile[]> {
    const applied = new Set(await this.applied(tenant))
    const files = await this.files()
    return files.filter((file) => !applied.has(file.name))
  }

  /**
   * Creates the schema if needed and applies what is pending. Returns the
   * names applied by this call.
   */
  async migrate(
    tenant: TenantSchemaRef,
    onMigration?: (file: TenantMigrationFile) => void
  ): Promise<string[]> {
    await this.#ensureSchema(tenant)
    const context = new TenantContext(tenant.id, tenant.slug, tenant.schemaName)
    const done: string[] = []
    const pending = await this.pending(tenant)

    // A new schema takes every migration in one transaction: one lock and
    // one commit instead of one per file, and a crash still leaves nothing
    // half made. The migrations' statements go as one script (one round trip
    // instead of ~250), built once per process. Measured on the test
    // machine: a tenant took ~400 ms file by file on PostgreSQL, ~170 ms so.
    const files = await this.files()
    if (pending.length === files.length && pending.length > 1) {
      const script = await this.#freshScript()
      const ran = await context.transaction(async (trx) => {
        await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', [tenant.schemaName])
        const already = await trx.from(TRACKING_TABLE).count('* as total').first()
        if (Number(already?.total) > 0) return false
        if (script !== null) await trx.rawQuery(script)
        else for (const file of pending) await this.#runFile(file, trx)
        const now = new Date()
        await trx
          .table(TRACKING_TABLE)
          .multiInsert(pending.map((file) => ({ name: file.name, migrated_at: now })))
        return true
      })
      if (ran) {
        for (const file of pending) {
          done.push(file.name)
          onMigration?.(file)
        }
        await this.#recordVersion(tenant)
        return done
      }
    }

    for (const file of await this.pending(tenant)) {
      const ran = await context.transaction(async (trx) => {
        await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', [tenant.schemaName])
        const already = await trx.from(TRACKING_TABLE).where('name', file.name).first()
        if (already) return false
        await this.#runFile(file, trx)
        await trx.table(TRACKING_TABLE).insert({ name: file.name, migrated_at: new Date() })
        return true
      })
      if (ran) {
        done.push(file.name)
        onMigration?.(file)
      }
    }

    await this.#recordVersion(tenant)
    return done
  }

  async #recordVersion(tenant: TenantSchemaRef) {
    const latest = await this.latest()
    await db
      .from('tenants')
      .where('id', tenant.id)
      .update({ schema_version: latest, updated_at: new Date() })
  }

  async #ensureSchema(tenant: TenantSchemaRef) {
    const schema = quoteIdent(tenant.schemaName)
    await db.transaction(async (trx) => {
      await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', [tenant.schemaName])
      await trx.rawQuery(`create schema if not exists ${schema}`)
      await trx.rawQuery(
        `create table if not exists ${schema}.${TRACKING_TABLE} (
           name varchar(255) primary key,
           migrated_at timestamptz not null default now()
         )`
      )
    })
  }

  /**
   * Every migration's SQL, in order, as one script, or null when a migration
   * cannot be written out ahead (one that uses `defer` runs code between its
   * statements, so it must run file by file). Lucid's dry run builds each
   * file's statements without running them; unqualified names resolve in the
   * schema the transaction's search_path names, as they do file by file.
   */
  #freshScript(): Promise<string | null> {
    this.#script ??= this.#buildScript()
    return this.#script
  }

  async #buildScript(): Promise<string | null> {
    const statements: string[] = []
    for (const file of await this.files()) {
      const migration = await this.#load(file, db.connection(), true)
      const queries = (await migration.execUp()) as unknown as string[]
      const tracked = (migration as unknown as { trackedCalls?: unknown[] }).trackedCalls ?? []
      if (tracked.some((call) => typeof call === 'function')) return null
      statements.push(...queries)
    }
    return statements.join(';\n')
  }

  async #load(file: TenantMigrationFile, client: QueryClientContract, dryRun: boolean) {
    const module = await import(pathToFileURL(file.absolutePath).href)
    const Migration = module.default as new (
      client: QueryClientContract,
      name: string,
      dryRun: boolean
    ) => BaseSchema
    return new Migration(client, file.name, dryRun)
  }

  async #runFile(file: TenantMigrationFile, trx: TransactionClientContract) {
    const migration = await this.#load(file, trx, false)
    await migration.execUp()
  }
}

export const tenantMigrator = new TenantMigrator()
