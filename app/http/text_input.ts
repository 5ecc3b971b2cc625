/*
| What every text input must be before the app touches it. PostgreSQL
| stores neither a NUL character (text columns refuse the byte, jsonb the
| \u0000 escape) nor half of a UTF-16 surrogate pair (jsonb refuses the
| escape; text would silently become U+FFFD), so such input used to fail deep
| inside a query, as a 500 carrying the SQL. It is stopped at the door
| instead: refused with a field message (requests people or programs can
| correct), or replaced by U+FFFD where the sender cannot correct it and the
| message must not be lost (WhatsApp webhooks).
|
| Walks are iterative: the input is untrusted and may be nested deeper than
| the call stack.
*/

/** Deeper request bodies are refused before anything else reads them (400). */
export const MAX_BODY_DEPTH = 32

/** The replacement for what cannot be stored. */
const REPLACEMENT = '\uFFFD'

export function isStorableText(text: string) {
  return !text.includes('\u0000') && text.isWellFormed()
}

/** The text with NUL characters and unpaired surrogates replaced by U+FFFD. */
export function storableText(text: string) {
  return isStorableText(text) ? text : text.toWellFormed().replaceAll('\u0000', REPLACEMENT)
}

/** Whether arrays and objects nest more than `max` levels deep. */
export function nestsDeeperThan(value: unknown, max: number) {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }]
  while (stack.length) {
    const { node, depth } = stack.pop()!
    if (node === null || typeof node !== 'object') continue
    if (depth + 1 > max) return true
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push({ node: child, depth: depth + 1 })
    }
  }
  return false
}

/**
 * The fields (dotted paths, as VineJS names them) whose names or text values
 * cannot be stored. Values that are not plain data (uploaded files) are skipped.
 */
export function fieldsWithUnstorableText(value: unknown, root = ''): string[] {
  const found = new Set<string>()
  const stack: Array<{ node: unknown; path: string }> = [{ node: value, path: root }]
  while (stack.length) {
    const { node, path } = stack.pop()!
    if (typeof node === 'string') {
      if (!isStorableText(node)) found.add(path || 'body')
      continue
    }
    if (!isPlainData(node)) continue
    for (const [key, child] of Object.entries(node as object)) {
      const childPath = path ? `${path}.${key}` : key
      if (!isStorableText(key)) found.add(path || 'body')
      else stack.push({ node: child, path: childPath })
    }
  }
  return [...found].sort()
}

/** A copy with every string (and key) made storable; other values are kept as they are. */
export function withStorableText<T>(value: T): T {
  const copy = (node: unknown) => (Array.isArray(node) ? [...node] : { ...(node as object) })
  const result =
    typeof value === 'string' ? storableText(value) : isPlainData(value) ? copy(value) : value
  const stack: unknown[] = isPlainData(result) ? [result] : []
  while (stack.length) {
    const node = stack.pop() as Record<string, unknown>
    for (const key of Object.keys(node)) {
      let child = node[key]
      if (typeof child === 'string') child = storableText(child)
      else if (isPlainData(child)) {
        child = copy(child)
        stack.push(child)
      }
      const name = storableText(key)
      if (name !== key) delete node[key]
      node[name] = child
    }
  }
  return result as T
}

function isPlainData(node: unknown): node is object {
  if (node === null || typeof node !== 'object') return false
  if (Array.isArray(node)) return true
  const prototype = Object.getPrototypeOf(node)
  return prototype === Object.prototype || prototype === null
}
