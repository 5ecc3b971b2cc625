import { edgeGlobals } from 'edge.js'

/*
| The one way templates build HTML attributes from values: `{{ safeAttrs({
| placeholder: example, required: true, 'aria-invalid': hasErrors }) }}`.
| Edge's own `$props.toAttrs()` and `html.attrs()` quote values without
| escaping them, so a stored name or e-mail holding `"` closed the attribute
| and wrote markup of its author's choosing into a page others open.
|
| Every value is escaped (& < > " '); names come from templates, and a name
| that is not a plain attribute name is a bug in the template, so it throws
| rather than being written. true writes a bare attribute (`required`), except
| aria-* where ARIA reads a bare attribute as false, so it writes "true";
| false, null and undefined leave the attribute out. Arrays are joined with
| spaces (class lists, aria-describedby ids).
*/

export type AttributeValue = string | number | boolean | null | undefined | AttributeValue[]

/** Letters, digits and the punctuation Alpine and htmx names use (x-on:click, @click, :class, hx-get). */
const ATTRIBUTE_NAME = /^[A-Za-z_:@][A-Za-z0-9_:@.-]*$/

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeAttributeValue(value: string) {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char])
}

function flatten(value: AttributeValue): string {
  if (Array.isArray(value)) {
    return value
      .filter((item) => item !== false && item !== null && item !== undefined && item !== '')
      .map(flatten)
      .join(' ')
  }
  return String(value)
}

/** The attributes as markup, separated by spaces. */
export function buildAttributes(attributes: Record<string, AttributeValue> | null | undefined) {
  const parts: string[] = []
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new Error(`safeAttrs: ${JSON.stringify(name)} is not an attribute name`)
    }
    if (value === false || value === null || value === undefined) continue
    if (value === true) {
      parts.push(name.startsWith('aria-') ? `${name}="true"` : name)
      continue
    }
    parts.push(`${name}="${escapeAttributeValue(flatten(value))}"`)
  }
  return parts.join(' ')
}

/** The Edge global (registered in start/views.ts): marked safe so `{{ }}` prints it as is. */
export function safeAttrs(attributes: Record<string, AttributeValue> | null | undefined) {
  return edgeGlobals.html.safe(buildAttributes(attributes))
}
