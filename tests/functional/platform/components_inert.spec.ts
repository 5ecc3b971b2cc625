import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import edge from 'edge.js'
import i18nManager from '@adonisjs/i18n/services/main'
import { SimplePaginator } from '@adonisjs/lucid/database'
import type { Page } from 'playwright-core'
import { useBrowser } from '#tests/helpers/browser'
import { buildAttributes } from '#app/view/safe_attributes'
import { HOSTILE, inertnessProblems } from '#tests/helpers/markup'
import { renderMarkdown } from '#modules/hitl/services/markdown'

/*
| Every UI component, found on disk (resources/views/components and each
| module's views/components), rendered twice: once with a plain word in every
| value and once with hostile text. Chromium's HTML parser reads both; the
| hostile render must have exactly the elements and attribute names of the
| plain one (nothing injected), and each attribute that carried the plain
| word carries the hostile text back intact.
|
| A component's props are read from its compiled template (`state.x`,
| `$props.get('x')`), so a new component is rendered with hostile strings
| without anyone listing it; props that are not strings (lists, a paginator,
| the signed-in user) are given below, also hostile.
*/

const PLAIN = 'Plain Word'

/** Names a component reads that are not its props: Edge's and Adonis's globals, the request's shares. */
const SHARED = new Set(['t', 'i18n', 'csrfField', 'old', 'flashMessages', 'auth', 'safeAttrs'])

function shared(value: string) {
  const errors = { [value]: [value], name: [value] }
  return {
    i18n: i18nManager.locale('en'),
    csrfField: () => edge.globals.html.safe(`<input type="hidden" name="_csrf" value="token">`),
    // What a form shows again after a failed submit: the typed value and its errors.
    old: () => value,
    flashMessages: {
      get: (key: string) => (key === 'inputErrorsBag' ? errors : value),
      has: () => true,
    },
    auth: { user: { name: value, email: value } },
  }
}

/** Props that are not plain strings, per component, built from the value under test. */
const STRUCTURED: Record<string, (value: string) => Array<Record<string, unknown>>> = {
  'ui/field': (value) => [
    {
      'type': 'text',
      'placeholder': value,
      'pattern': value,
      'data-variable': value,
      'required': true,
    },
    { type: 'textarea', rows: 3, placeholder: value },
    {
      type: 'select',
      options: [
        { value, label: value },
        { value: 'other', label: 'Other' },
      ],
    },
    { type: 'url', id: value, autocomplete: 'off', dir: 'ltr' },
  ],
  'ui/confirm': () => [{ method: 'DELETE' }],
  'channels::templates/_field': (value) => [
    {
      fieldErrors: { [value]: value },
      attrs: { 'maxlength': 60, 'dir': 'auto', 'placeholder': value, 'data-counter': value },
    },
    { kind: 'textarea', fieldErrors: { [value]: value }, attrs: { rows: 3, title: value } },
    { kind: 'file', fieldErrors: {}, attrs: { accept: value } },
    { kind: 'select', fieldErrors: {}, options: [{ value, label: value }], attrs: {} },
  ],
  'integrations::api_reference/fields': (value) => [
    {
      withWhere: true,
      fields: [
        {
          name: value,
          where: 'query',
          type: value,
          nullable: true,
          required: true,
          description: value,
          limits: [value],
        },
      ],
    },
  ],
  'hitl::components/task/component': (value) => {
    const values = { reply: value, choice: value, n: 3, d: '2027-01-01' }
    const components = [
      // Markdown's markup follows its text by design (a `*` in it is emphasis): its
      // escaping is tests/unit/hitl/markdown.spec.ts's; here the html is fixed.
      { type: 'text', html: renderMarkdown('**Plain** text') },
      { type: 'editable_text', name: 'reply', label: value, placeholder: value, required: true },
      { type: 'choice', name: 'choice', label: value, options: [{ value, label: value }] },
      { type: 'number', name: 'n', label: value, unit: value, min: 1 },
      { type: 'date', name: 'd', label: value },
      { type: 'image', url: value, caption: value, alt: value },
      { type: 'video', url: value, caption: value },
      { type: 'audio', url: value, caption: value },
      {
        type: 'document',
        url: value,
        filename: value,
        caption: value,
        page_images: [value],
        pages: 2,
      },
      {
        type: 'table',
        columns: [{ key: 'a', label: value }],
        rows: [{ a: value }, { a: value }],
        highlight_row: 1,
        caption: value,
      },
      { type: 'key_values', items: [{ label: value, value }] },
      { type: 'citations', items: [{ source: value, heading: value, quote: value, url: value }] },
      { type: 'message_preview', text_from: 'reply', previewText: value },
      { type: 'message_preview', template: { name: value, variables: [value] } },
    ]
    return components.map((c) => ({
      c,
      values,
      canEdit: true,
      errors: { 'values.reply': [value] },
    }))
  },
  'hitl::components/task/input': (value) => [
    {
      c: { type: 'editable_text', name: 'reply', label: value, placeholder: value },
      value,
      canEdit: true,
      errors: [value],
    },
    {
      c: {
        type: 'choice',
        name: 'c',
        label: value,
        multiple: true,
        options: [{ value, label: value }],
      },
      value: [value],
      canEdit: false,
      errors: [],
    },
    {
      c: { type: 'number', name: 'n', label: value, unit: value },
      value: 1,
      canEdit: true,
      errors: [],
    },
    {
      c: { type: 'date', name: 'd', label: value },
      value: '2027-01-01',
      canEdit: true,
      errors: [],
    },
  ],
  'ui/pagination': (value) => [
    {
      paginator: new SimplePaginator(60, 10, 3, ...new Array(10).fill({}))
        .baseUrl(`/t/x/${value}`)
        .queryString({ q: value }),
    },
  ],
  'layouts/app': (value) => [
    {
      nav: [
        { href: value, label: value, current: true },
        { href: '/b', label: value, current: false },
      ],
      workspaces: [
        { slug: value, name: value },
        { slug: 'b', name: value },
      ],
      access: { tenantSlug: value, role: 'owner', availability: 'online' },
      impersonating: true,
      stylesheets: [value],
      scripts: [value],
    },
  ],
}

function walk(dir: string): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return walk(path)
    return path.endsWith('.edge') ? [path] : []
  })
}

/** Every .edge file under a root, as `[disk-qualified name, path]`. */
function templatesUnder(root: string, prefix: string) {
  return walk(root).map((file) => [`${prefix}${relative(root, file).replace(/\.edge$/, '')}`, file])
}

/** Every template of the app, as Edge names it: `ui/field`'s file is `components/ui/field`. */
function allTemplates() {
  const modules = app.makePath('modules')
  return [
    ...templatesUnder(app.makePath('resources/views'), ''),
    ...readdirSync(modules).flatMap((module) =>
      templatesUnder(join(modules, module, 'views'), `${module}::`)
    ),
  ]
}

/**
 * Every component: the files under a components/ folder (resources/views or a
 * module's views), and any other template some view renders with
 * @component (a module's form field, the API reference's field table).
 */
function discoverComponents() {
  const templates = allTemplates()
  const used = new Set<string>()
  for (const [, file] of templates) {
    for (const match of readFileSync(file, 'utf8').matchAll(/@!?component\(\s*'([^']+)'/g)) {
      used.add(match[1])
    }
  }
  return templates
    .map(([name]) => name)
    .filter((name) => /(^|::)components\//.test(name) || used.has(name))
    .map((name) => ({ name, key: name.replace(/^components\//, '') }))
}

/** The names a compiled component reads from its state and its $props, and the slots it renders. */
function readsOf(name: string) {
  const source = edge.asyncCompiler.compile(name).toString()
  const names = new Set<string>()
  for (const match of source.matchAll(/\bstate\.([A-Za-z_][\w]*)/g)) names.add(match[1])
  for (const match of source.matchAll(/\$props\.get\(['"]([^'"]+)['"]/g)) names.add(match[1])
  const slots = new Set<string>()
  for (const match of source.matchAll(/\$slots\.([A-Za-z_]\w*)/g)) slots.add(match[1])
  slots.delete('$context')
  const props = [...names].filter(
    (n) => !n.startsWith('$') && !SHARED.has(n) && !(n in edge.globals)
  )
  return { props, slots: [...slots] }
}

async function render(
  name: string,
  props: Record<string, unknown>,
  slots: string[],
  value: string
) {
  const slotMarkup = slots
    .filter((slot) => slot !== 'main')
    .map((slot) => `@slot('${slot}')\n<span class="slot-${slot}">{{ value }}</span>\n@end`)
    .join('\n')
  const template = `@component('${name}', props)\n${slotMarkup}\n<p class="slot-main">{{ value }}</p>\n@end`
  return edge.createRenderer().share(shared(value)).renderRaw(template, { props, value })
}

function propsFor(key: string, reads: string[], value: string) {
  const strings = Object.fromEntries(reads.map((prop) => [prop, value]))
  const variants = STRUCTURED[key]?.(value) ?? [{}]
  return variants.map((variant) => ({ ...strings, ...variant }))
}

test.group('UI components render hostile values inert', (group) => {
  const browser = useBrowser(group)
  let page: Page
  group.setup(async () => {
    page = await browser.newPage({ javaScriptEnabled: false })
  })

  test('the walk finds the shared and the module components', ({ assert }) => {
    const keys = discoverComponents().map((c) => c.key)
    for (const expected of [
      'ui/field',
      'ui/confirm',
      'layouts/app',
      'channels::components/copy_field',
      'channels::templates/_field',
      'integrations::api_reference/fields',
    ]) {
      assert.include(keys, expected)
    }
  })

  test('every component keeps its markup when every value is hostile', async ({ assert }) => {
    const problems: string[] = []
    for (const { name, key } of discoverComponents()) {
      const { props, slots } = readsOf(name)
      const plainProps = propsFor(key, props, PLAIN)
      const hostileProps = propsFor(key, props, HOSTILE)
      for (const [index, plain] of plainProps.entries()) {
        const expected = await render(name, plain, slots, PLAIN)
        const actual = await render(name, hostileProps[index], slots, HOSTILE)
        for (const problem of await inertnessProblems(page, expected, actual, PLAIN)) {
          problems.push(`${key} #${index}: ${problem}`)
        }
      }
    }
    assert.deepEqual(problems, [])
  }).timeout(60_000)

  test('no template builds attributes with {{{ }}}, toAttrs() or html.attrs()', ({ assert }) => {
    const found: string[] = []
    const blank = (text: string) => text.replace(/[^\n]/g, ' ')
    for (const [name, file] of allTemplates()) {
      const raw = readFileSync(file, 'utf8')
      // Comments, {{ }} expressions and Edge tag lines may hold `<` or `>` of their own.
      const source = raw
        .replace(/\{\{--[\s\S]*?--\}\}/g, blank)
        .replace(/(?<!\{)\{\{(?!\{)[\s\S]*?\}\}/g, blank)
        .replace(/^[ \t]*@.*$/gm, blank)
        // Each {{{ }}} becomes one marker character, its own `=>` or `>` blanked too.
        .replace(/\{\{\{[\s\S]*?\}\}\}/g, (triple) => `\u0001${blank(triple.slice(1))}`)
      for (let at = source.indexOf('\u0001'); at !== -1; at = source.indexOf('\u0001', at + 1)) {
        const before = source.slice(0, at)
        if (before.lastIndexOf('<') > before.lastIndexOf('>'))
          found.push(`${name}: {{{ }}} in a tag`)
      }
      if (/\.toAttrs\(|html\.attrs\(/.test(raw)) found.push(`${name}: toAttrs() or html.attrs()`)
    }
    assert.deepEqual(found, [])
  })

  test('safeAttrs escapes every value and leaves out false, null and undefined', ({ assert }) => {
    assert.equal(
      buildAttributes({
        'placeholder': `"'<&>`,
        'required': true,
        'aria-invalid': true,
        'hidden': false,
        'title': null,
        'lang': undefined,
        'class': ['a', false, 'b'],
        'maxlength': 0,
      }),
      'placeholder="&quot;&#39;&lt;&amp;&gt;" required aria-invalid="true" class="a b" maxlength="0"'
    )
  })

  test('safeAttrs refuses a name that is not an attribute name', ({ assert }) => {
    assert.throws(() => buildAttributes({ 'a onclick=x': 'y' }), /not an attribute name/)
    assert.throws(() => buildAttributes({ 'x"': 'y' }), /not an attribute name/)
  })
})
