/*
| A campaign's template variables: each body variable's number maps to text
| with `{{contact.<field>}}` placeholders, each with an optional fallback
| after a bar (`{{contact.name|there}}`). A placeholder without a fallback is
| required: a contact without that field is skipped (never sent a hole).
| The texts compile to one SQL expression per variable over the audience's
| rows, so a hundred thousand recipients are filled in one statement.
*/

/** Contact fields every contact has; anything else is a custom field's key. */
export const BUILT_IN_FIELDS = ['name', 'profile_name', 'phone', 'email', 'language', 'time_zone']

const PLACEHOLDER = /\{\{\s*contact\.([a-z][a-z0-9_]*)\s*(?:\|([^}]*))?\}\}/g

export type VariablePart = { text: string } | { field: string; fallback: string | null }

export function parseVariable(text: string): VariablePart[] {
  const parts: VariablePart[] = []
  let last = 0
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index! > last) parts.push({ text: text.slice(last, match.index) })
    const fallback = match[2]?.trim()
    parts.push({ field: match[1], fallback: fallback ? fallback : null })
    last = match.index! + match[0].length
  }
  if (last < text.length) parts.push({ text: text.slice(last) })
  return parts
}

/** Fields a variable mapping names that the workspace does not have (as `{{contact.x}}`). */
export function unknownFields(variables: Record<string, string>, customKeys: string[]) {
  const known = new Set([...BUILT_IN_FIELDS, ...customKeys])
  const unknown = new Set<string>()
  for (const text of Object.values(variables)) {
    for (const part of parseVariable(text)) {
      if ('field' in part && !known.has(part.field)) unknown.add(part.field)
    }
  }
  return [...unknown]
}

/** The SQL value of a contact field over an AudienceRow `a`: null when empty. */
function fieldSql(field: string): { sql: string; bindings: unknown[] } {
  if (field === 'name') {
    return { sql: `coalesce(nullif(a.name, ''), nullif(a.profile_name, ''))`, bindings: [] }
  }
  if (BUILT_IN_FIELDS.includes(field)) return { sql: `nullif(a.${field}, '')`, bindings: [] }
  return { sql: `nullif(a.attributes ->> ?, '')`, bindings: [field] }
}

/**
 * The variables as one SQL jsonb array over `a` (in number order), and the
 * skip reason each recipient gets when a required field is empty (null
 * when every required field is there).
 */
export function compileVariables(variables: Record<string, string>) {
  const numbers = Object.keys(variables)
    .map(Number)
    .sort((x, y) => x - y)
  const values: string[] = []
  const valueBindings: unknown[] = []
  const missing: string[] = []
  const missingBindings: unknown[] = []
  const required = new Set<string>()
  for (const number of numbers) {
    const parts = parseVariable(variables[String(number)])
    const pieces: string[] = []
    for (const part of parts) {
      if ('text' in part) {
        pieces.push('?::text')
        valueBindings.push(part.text)
        continue
      }
      const field = fieldSql(part.field)
      if (part.fallback === null) {
        pieces.push(field.sql)
        valueBindings.push(...field.bindings)
        if (!required.has(part.field)) {
          required.add(part.field)
          missing.push(`when ${field.sql} is null then ?`)
          missingBindings.push(...field.bindings, `missing_variable:${part.field}`)
        }
      } else {
        pieces.push(`coalesce(${field.sql}, ?)`)
        valueBindings.push(...field.bindings, part.fallback)
      }
    }
    values.push(pieces.length ? `(${pieces.join(' || ')})` : `''`)
  }
  return {
    values: { sql: `jsonb_build_array(${values.join(', ')})`, bindings: valueBindings },
    missing: missing.length
      ? { sql: `case ${missing.join(' ')} end`, bindings: missingBindings }
      : { sql: 'null::text', bindings: [] },
  }
}

/** The variables filled for one contact (for previews and test sends), fallbacks included. */
export function fillVariables(
  variables: Record<string, string>,
  contact: Record<string, any>,
  options: { missingAs?: (field: string) => string } = {}
): { values: string[]; missing: string[] } {
  const missing: string[] = []
  const numbers = Object.keys(variables)
    .map(Number)
    .sort((x, y) => x - y)
  const values = numbers.map((number) =>
    parseVariable(variables[String(number)])
      .map((part) => {
        if ('text' in part) return part.text
        const value = valueOf(contact, part.field)
        if (value) return value
        if (part.fallback !== null) return part.fallback
        missing.push(part.field)
        return options.missingAs ? options.missingAs(part.field) : ''
      })
      .join('')
  )
  return { values, missing }
}

function valueOf(contact: Record<string, any>, field: string): string | null {
  const camel = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
  const raw =
    field === 'name'
      ? contact.name || contact.profileName
      : BUILT_IN_FIELDS.includes(field)
        ? contact[camel]
        : contact.attributes?.[field]
  if (raw === null || raw === undefined || raw === '') return null
  return String(raw)
}
