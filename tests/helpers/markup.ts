import type { Page } from 'playwright-core'

/**
 * Text a stored name, e-mail, example or title may hold: quotes of both
 * kinds, a script, an ampersand and an entity, a newline, and markup that
 * closes an attribute and the element to add an image with a handler and a
 * meta refresh.
 */
export const HOSTILE =
  `Q"d'q <script>alert(1)</script> & &amp; x\n` +
  `"><img src=x onerror=alert(1)><meta http-equiv="refresh" content="0;url=//evil.test">`

/**
 * Hostile text short enough for most form fields, with no space before the
 * markup (a knowledge title's first word is all of it): closes a quoted
 * attribute either way and opens an image.
 */
export const HOSTILE_WORD = `"'><img/src=x/onerror=alert(1)>&amp;`

/** As ui.confirm writes its `pattern`: the expected word, taken literally. */
export function regexEscaped(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Percent-encoded as a query string value (RFC 3986, as `qs` does). */
function percentEncoded(text: string) {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`
  )
}

export interface ParsedElement {
  tag: string
  attributes: Array<[string, string]>
}

/**
 * Every element of the markup in document order, as Chromium's HTML parser
 * reads it (DOMParser: nothing runs, nothing loads).
 */
export async function parseElements(page: Page, html: string): Promise<ParsedElement[]> {
  const describe = `(html) => Array.from(new DOMParser().parseFromString(html, 'text/html').querySelectorAll('*'))
    .map((el) => ({ tag: el.tagName.toLowerCase(), attributes: el.getAttributeNames().map((n) => [n, el.getAttribute(n)]) }))`
  return (await page.evaluate(`(${describe})(${JSON.stringify(html)})`)) as ParsedElement[]
}

/** Any on* attribute in the markup: how injected markup runs script. */
export function handlerAttributes(elements: ParsedElement[]) {
  return elements.flatMap((el) =>
    el.attributes
      .filter(([name]) => /^on/i.test(name))
      .map(([name]) => `an ${name} attribute on <${el.tag}>`)
  )
}

/**
 * What differs between a render with a plain word and the same render with
 * hostile text: any element or attribute name the plain render does not
 * have, any on* attribute, and any attribute that held the plain word but
 * does not hold the hostile text (as typed, regex-escaped for `pattern`, or
 * percent-encoded in a link's query string).
 */
export async function inertnessProblems(
  page: Page,
  plainHtml: string,
  hostileHtml: string,
  plain: string,
  hostile = HOSTILE
): Promise<string[]> {
  const expected = await parseElements(page, plainHtml)
  const actual = await parseElements(page, hostileHtml)
  const problems = handlerAttributes(actual)
  const shape = (el?: ParsedElement) =>
    el
      ? `${el.tag}[${el.attributes
          .map(([name]) => name)
          .sort()
          .join(' ')}]`
      : '(nothing)'
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (shape(expected[i]) !== shape(actual[i])) {
      problems.push(`element ${i}: expected ${shape(expected[i])}, got ${shape(actual[i])}`)
      return problems
    }
  }
  for (const [i, el] of expected.entries()) {
    for (const [name, value] of el.attributes) {
      if (!value.includes(plain)) continue
      const got = actual[i].attributes.find(([other]) => other === name)?.[1]
      const typed = value.split(percentEncoded(plain)).join(percentEncoded(hostile))
      const accepted = [
        typed.split(plain).join(hostile),
        typed.split(plain).join(regexEscaped(hostile)),
      ]
      if (!accepted.includes(got ?? '')) {
        problems.push(`<${el.tag} ${name}>: ${JSON.stringify(got)} is not the value given`)
      }
    }
  }
  return problems
}

/**
 * Markup on a page that no template of ours writes: handler attributes, a
 * meta refresh, an image from `x`, inline scripts other than the web chat
 * frame's JSON configuration, and the debris of a broken attribute (a name
 * or a tag with a quote or `<` in it).
 */
export function injectedMarkup(elements: ParsedElement[]) {
  const attr = (el: ParsedElement, name: string) =>
    el.attributes.find(([other]) => other === name)?.[1]
  const problems = handlerAttributes(elements)
  for (const el of elements) {
    if (!/^[a-z][a-z0-9-]*$/.test(el.tag)) problems.push(`an element named ${el.tag}`)
    for (const [name] of el.attributes) {
      if (!/^[a-z0-9_:@.-]+$/i.test(name))
        problems.push(`an attribute named ${name} on <${el.tag}>`)
    }
    if (el.tag === 'meta' && attr(el, 'http-equiv') !== undefined)
      problems.push('a <meta http-equiv>')
    if (el.tag === 'img' && attr(el, 'src') === 'x') problems.push('an <img src=x>')
    if (el.tag === 'script' && !attr(el, 'src') && attr(el, 'type') !== 'application/json') {
      problems.push('an inline <script>')
    }
  }
  return problems
}

/** The value of `attribute` on the elements matching `tag` and `[name, value]`. */
export function attributeOf(
  elements: ParsedElement[],
  match: { tag: string; name?: string; id?: string },
  attribute: string
) {
  const found = elements.find(
    (el) =>
      el.tag === match.tag &&
      (match.name === undefined ||
        el.attributes.some(([n, v]) => n === 'name' && v === match.name)) &&
      (match.id === undefined || el.attributes.some(([n, v]) => n === 'id' && v === match.id))
  )
  return found?.attributes.find(([name]) => name === attribute)?.[1]
}
