/**
 * Logo uploads are judged by their content, never by their name: a PNG must
 * start with the PNG signature, a JPEG with its SOI marker, and an SVG must
 * parse as XML with an <svg> root. SVGs are then rebuilt from what was
 * parsed, keeping only what cannot run code or fetch anything.
 */
export type LogoMime = 'image/png' | 'image/jpeg' | 'image/svg+xml'

export type LogoCheck =
  | { ok: true; mime: LogoMime; bytes: Buffer }
  | { ok: false; reason: 'unsupported_type' | 'not_image' | 'svg_invalid' }

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const JPEG_SIGNATURE = Buffer.from([0xff, 0xd8, 0xff])

/**
 * `filename` is the uploaded file's own name: its extension says what the
 * file claims to be, and the bytes must agree.
 */
export function inspectLogo(bytes: Buffer, filename: string): LogoCheck {
  const kind = filename.toLowerCase().split('.').pop() ?? ''
  if (kind === 'png') {
    return startsWith(bytes, PNG_SIGNATURE)
      ? { ok: true, mime: 'image/png', bytes }
      : { ok: false, reason: 'not_image' }
  }
  if (kind === 'jpg' || kind === 'jpeg') {
    return startsWith(bytes, JPEG_SIGNATURE)
      ? { ok: true, mime: 'image/jpeg', bytes }
      : { ok: false, reason: 'not_image' }
  }
  if (kind === 'svg') {
    const clean = sanitizeSvg(bytes.toString('utf8'))
    return clean === null
      ? { ok: false, reason: 'svg_invalid' }
      : { ok: true, mime: 'image/svg+xml', bytes: Buffer.from(clean, 'utf8') }
  }
  return { ok: false, reason: 'unsupported_type' }
}

function startsWith(bytes: Buffer, signature: Buffer) {
  return bytes.length > signature.length && bytes.subarray(0, signature.length).equals(signature)
}

/* ---------------------------------------------------------------------------
 * SVG: a small, strict XML reader. Anything it does not understand (an
 * internal DTD, unknown entities, mismatched tags) rejects the file, which is
 * safer than guessing what a browser would make of it.
 * ------------------------------------------------------------------------- */

const SVG_NS = 'http://www.w3.org/2000/svg'

/** Elements removed with everything inside them. */
const DROPPED_ELEMENTS = new Set([
  'script',
  'foreignobject',
  'iframe',
  'object',
  'embed',
  'audio',
  'video',
  'handler',
  'listener',
])

const NAME = /^[A-Za-z_][\w.:-]*$/
const ATTRIBUTE = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("[^"]*"|'[^']*')/y
const PREDEFINED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
}

interface Element {
  name: string
  attributes: Array<[string, string]>
  children: Node[]
}
type Node = Element | { text: string }

class SvgRejected extends Error {}

/**
 * The sanitised SVG text, or null when the input is not an SVG document.
 */
export function sanitizeSvg(source: string): string | null {
  try {
    const root = parse(source.replace(/^\uFEFF/, ''))
    if (localName(root.name) !== 'svg') return null
    const clean = cleanElement(root)
    if (!clean) return null
    if (!clean.attributes.some(([name]) => name === 'xmlns')) {
      clean.attributes.unshift(['xmlns', SVG_NS])
    }
    return serialize(clean)
  } catch (error) {
    if (error instanceof SvgRejected) return null
    throw error
  }
}

function parse(source: string): Element {
  const stack: Element[] = []
  let root: Element | null = null
  let at = 0

  const reject = (): never => {
    throw new SvgRejected()
  }
  const append = (node: Node) => {
    const parent = stack.at(-1)
    if (parent) parent.children.push(node)
    else if (!('text' in node) || node.text.trim()) reject()
  }

  while (at < source.length) {
    const lt = source.indexOf('<', at)
    if (lt === -1) {
      append({ text: decode(source.slice(at)) })
      break
    }
    if (lt > at) append({ text: decode(source.slice(at, lt)) })

    if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt + 4)
      if (end === -1) reject()
      at = end + 3
    } else if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt + 9)
      if (end === -1 || !stack.length) reject()
      append({ text: source.slice(lt + 9, end) })
      at = end + 3
    } else if (source.startsWith('<?', lt)) {
      // The XML declaration and processing instructions (xml-stylesheet) go.
      const end = source.indexOf('?>', lt + 2)
      if (end === -1) reject()
      at = end + 2
    } else if (source.startsWith('<!', lt)) {
      // A DOCTYPE naming the SVG DTD is dropped; one with an internal
      // subset could declare entities, so it is refused.
      const end = source.indexOf('>', lt + 2)
      if (end === -1 || root || source.slice(lt, end).includes('[')) reject()
      if (!/^<!DOCTYPE\s/i.test(source.slice(lt, end + 1))) reject()
      at = end + 1
    } else if (source.startsWith('</', lt)) {
      const end = source.indexOf('>', lt + 2)
      if (end === -1) reject()
      const name = source.slice(lt + 2, end).trim()
      const open = stack.pop()
      if (!open || open.name !== name) reject()
      at = end + 1
    } else {
      const tag = readStartTag(source, lt + 1)
      if (!tag) return reject()
      const element: Element = { name: tag.name, attributes: tag.attributes, children: [] }
      if (!stack.length) {
        if (root) reject()
        root = element
      } else {
        append(element)
      }
      if (!tag.selfClosing) stack.push(element)
      at = tag.end
    }
  }
  if (stack.length || !root) reject()
  return root!
}

function readStartTag(source: string, from: number) {
  const nameMatch = /^[A-Za-z_][\w.:-]*/.exec(source.slice(from, from + 200))
  if (!nameMatch) return null
  const name = nameMatch[0]
  const attributes: Array<[string, string]> = []
  const seen = new Set<string>()
  let at = from + name.length
  for (;;) {
    ATTRIBUTE.lastIndex = at
    const match = ATTRIBUTE.exec(source)
    if (!match) break
    if (seen.has(match[1])) return null
    seen.add(match[1])
    attributes.push([match[1], decode(match[2].slice(1, -1))])
    at = ATTRIBUTE.lastIndex
  }
  const rest = /^\s*(\/?)>/.exec(source.slice(at, at + 200))
  if (!rest) return null
  return { name, attributes, selfClosing: rest[1] === '/', end: at + rest[0].length }
}

function decode(text: string) {
  return text.replace(/&([^;\s&]*);?/g, (whole, entity: string) => {
    if (!whole.endsWith(';')) throw new SvgRejected()
    if (entity in PREDEFINED_ENTITIES) return PREDEFINED_ENTITIES[entity]
    const numeric = /^#(x[0-9a-f]+|[0-9]+)$/i.exec(entity)
    if (!numeric) throw new SvgRejected()
    const code = numeric[1].startsWith('x')
      ? Number.parseInt(numeric[1].slice(1), 16)
      : Number.parseInt(numeric[1], 10)
    if (code < 1 || code > 0x10ffff) throw new SvgRejected()
    return String.fromCodePoint(code)
  })
}

function localName(name: string) {
  return name.slice(name.indexOf(':') + 1).toLowerCase()
}

/**
 * The element with only safe attributes and children, or null to drop it.
 */
function cleanElement(element: Element): Element | null {
  const name = localName(element.name)
  if (DROPPED_ELEMENTS.has(name)) return null
  if (name === 'style' && !isSafeStyleSheet(textOf(element))) return null
  if ((name === 'set' || name.startsWith('animate')) && animatesUnsafely(element)) return null
  if (!NAME.test(element.name)) return null

  const attributes = element.attributes.filter(([attribute, value]) =>
    isSafeAttribute(attribute, value)
  )
  const children: Node[] = []
  for (const child of element.children) {
    if ('text' in child) children.push(child)
    else {
      const clean = cleanElement(child)
      if (clean) children.push(clean)
    }
  }
  return { name: element.name, attributes, children }
}

function textOf(element: Element): string {
  return element.children.map((child) => ('text' in child ? child.text : textOf(child))).join('')
}

function isSafeStyleSheet(css: string) {
  return !/@import|url\s*\(|expression\s*\(|javascript:|behavior\s*:|-moz-binding/i.test(css)
}

/** <set>/<animate> could turn an attribute into a script URL or a handler. */
function animatesUnsafely(element: Element) {
  const target = element.attributes.find(([name]) => name === 'attributeName')?.[1] ?? ''
  return /^on|href$/i.test(localName(target))
}

function isSafeAttribute(name: string, value: string) {
  const local = localName(name)
  if (local.startsWith('on')) return false
  if (local === 'href' || local === 'src') return isLocalReference(value)
  if (name === 'xml:base') return false
  if (name === 'xmlns' || name.startsWith('xmlns:')) return true
  if (/javascript:|vbscript:|data:text\/html/i.test(value.replace(/[\s\p{Cc}]/gu, ''))) {
    return false
  }
  // Presentation attributes and style="" may point only inside the document.
  for (const match of value.matchAll(/url\s*\(\s*(['"]?)([^'")]*)\1\s*\)/gi)) {
    if (!match[2].trim().startsWith('#')) return false
  }
  if (local === 'style' && !isSafeStyleSheet(value.replace(/url\s*\(\s*['"]?#[^)]*\)/gi, ''))) {
    return false
  }
  return true
}

/** A fragment of this document, or an embedded bitmap. */
function isLocalReference(value: string) {
  const trimmed = value.trim()
  return trimmed.startsWith('#') || /^data:image\/(png|jpeg|gif|webp);base64,/i.test(trimmed)
}

function serialize(element: Element): string {
  const attributes = element.attributes
    .map(([name, value]) => ` ${name}="${escapeXml(value, true)}"`)
    .join('')
  if (!element.children.length) return `<${element.name}${attributes}/>`
  const inner = element.children
    .map((child) => ('text' in child ? escapeXml(child.text, false) : serialize(child)))
    .join('')
  return `<${element.name}${attributes}>${inner}</${element.name}>`
}

function escapeXml(text: string, attribute: boolean) {
  const escaped = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
  return attribute ? escaped.replaceAll('"', '&quot;') : escaped
}
