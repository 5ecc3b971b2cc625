import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { BaseSchema } from '@adonisjs/lucid/schema'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
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
    // one commit instead of one per file (a tenant is made in about half the
    // time), and a crash still leaves nothing half made.
    const files = await this.files()
    if (pending.length === files.length && pending.length > 1) {
      const ran = await context.transaction(async (trx) => {
        await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', [tenant.schemaName])
        const already = await trx.from(TRACKING_TABLE).count('* as total').first()
        if (Number(already?.total) > 0) return false
        for (const file of pending) await this.#runFile(file, trx)
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

  async #runFile(file: TenantMigrationFile, trx: TransactionClientContract) {
    const module = await import(pathToFileURL(file.absolutePath).href)
    const Migration = module.default as new (
      client: TransactionClientContract,
      name: string,
      dryRun: boolean
    ) => BaseSchema
    const migration = new Migration(trx, file.name, false)
    await migration.execUp()
  }
}

export const tenantMigrator = new TenantMigrator()
