import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'

/**
 * ISO-8601 in UTC with milliseconds (`2026-11-24T17:11:36.123Z`), or null.
 * Through Date rather than luxon's toUTC().toISO(), which gives the same
 * text at several times the cost (a list page formats 150 times).
 */
export function apiTime(value: DateTime | Date | null | undefined): string | null {
  if (!value) return null
  if (value instanceof Date) return value.toISOString()
  return value.isValid ? new Date(value.toMillis()).toISOString() : null
}

export function snakeCase(name: string) {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

/**
 * The API's view of a record: the listed properties only (so a new model
 * column never leaks by accident), under snake_case names, times as UTC
 * ISO-8601. Values are not walked: user data such as a contact's attributes
 * keeps its own keys.
 */
export function serialize<T extends object>(
  record: T,
  properties: ReadonlyArray<keyof T & string>
) {
  const out: Record<string, unknown> = {}
  for (const property of properties) {
    const value = record[property] as unknown
    out[snakeCase(property)] =
      value instanceof DateTime || value instanceof Date ? apiTime(value) : (value ?? null)
  }
  return out
}

/**
 * Sends a JSON answer as one string, so what the client received is exactly
 * what an idempotent replay will send again.
 */
export function jsonText(body: unknown) {
  return JSON.stringify(body)
}

export function sendJson(ctx: HttpContext, status: number, body: unknown) {
  ctx.response.status(status).header('Content-Type', 'application/json; charset=utf-8')
  return ctx.response.send(jsonText(body))
}
