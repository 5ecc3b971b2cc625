/*
| The part of JSONPath (RFC 9535) a response mapping needs: a path from the
| root `$` through member names (`.status`, `['delivery date']`), array
| indexes (`[0]`, `[-1]` from the end) and wildcards (`[*]`, `.*`). A path
| that reaches several values gives them as a list; one that reaches none
| gives undefined. Filters and recursive descent are refused when the path
| is saved, so a tenant learns at once what the mapping cannot do.
*/

type Step = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'all' }

export class JsonPathError extends Error {}

/** The steps of a path, or JsonPathError saying what is wrong with it. */
export function parseJsonPath(path: string): Step[] {
  const text = path.trim()
  if (!text.startsWith('$')) throw new JsonPathError('A path starts with $, e.g. $.order.status')
  const steps: Step[] = []
  let i = 1
  while (i < text.length) {
    const char = text[i]
    if (char === '.') {
      if (text[i + 1] === '.') throw new JsonPathError('Recursive descent (..) is not supported')
      if (text[i + 1] === '*') {
        steps.push({ kind: 'all' })
        i += 2
        continue
      }
      const match = /^[A-Za-z_$\u00C0-\uFFFF][\w$\u00C0-\uFFFF-]*/.exec(text.slice(i + 1))
      if (!match) throw new JsonPathError(`A name is expected after the dot at ${i + 1}`)
      steps.push({ kind: 'name', name: match[0] })
      i += 1 + match[0].length
      continue
    }
    if (char === '[') {
      const close = findClose(text, i)
      const inner = text.slice(i + 1, close).trim()
      if (inner === '*') steps.push({ kind: 'all' })
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) })
      else if (/^'(?:[^'\\]|\\.)*'$|^"(?:[^"\\]|\\.)*"$/.test(inner)) {
        steps.push({ kind: 'name', name: inner.slice(1, -1).replace(/\\(.)/g, '$1') })
      } else {
        throw new JsonPathError(`Only names, indexes and * go in brackets, not [${inner}]`)
      }
      i = close + 1
      continue
    }
    throw new JsonPathError(`Unexpected "${char}" at ${i + 1}`)
  }
  return steps
}

function findClose(text: string, open: number) {
  let quote: string | null = null
  for (let i = open + 1; i < text.length; i++) {
    const char = text[i]
    if (quote) {
      if (char === '\\') i++
      else if (char === quote) quote = null
    } else if (char === "'" || char === '"') quote = char
    else if (char === ']') return i
  }
  throw new JsonPathError('A bracket is not closed')
}

/** The value at `path` in `document`: one value, a list when wildcards reach several, or undefined. */
export function readJsonPath(document: unknown, path: string): unknown {
  const steps = parseJsonPath(path)
  let current: unknown[] = [document]
  let many = false
  for (const step of steps) {
    const next: unknown[] = []
    for (const value of current) {
      if (value === null || typeof value !== 'object') continue
      if (step.kind === 'name') {
        if (!Array.isArray(value) && Object.hasOwn(value, step.name)) {
          next.push((value as Record<string, unknown>)[step.name])
        }
      } else if (step.kind === 'index') {
        if (Array.isArray(value)) {
          const at = step.index < 0 ? value.length + step.index : step.index
          if (at >= 0 && at < value.length) next.push(value[at])
        }
      } else {
        many = true
        next.push(...(Array.isArray(value) ? value : Object.values(value)))
      }
    }
    current = next
  }
  if (many) return current
  return current.length ? current[0] : undefined
}
