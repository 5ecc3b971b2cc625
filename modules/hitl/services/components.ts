/*
| The component schema of a task. An automation never sends HTML: it sends a
| list of components, each `{type, name?, label?, ...}`, and the task inbox
| renders each type with one Edge component. This file is the schema's one
| definition: the checks (a problem names the component and the field, and
| nothing is stored), the submitted values' checks, and the OpenAPI schema.
*/

export const COMPONENT_TYPES = [
  'text',
  'editable_text',
  'choice',
  'number',
  'date',
  'image',
  'video',
  'audio',
  'document',
  'table',
  'key_values',
  'citations',
  'message_preview',
] as const

export type ComponentType = (typeof COMPONENT_TYPES)[number]

/** Components a person fills in: their values are submitted by name. */
export const INPUT_TYPES: ComponentType[] = ['editable_text', 'choice', 'number', 'date']

export const LIMITS = {
  components: 50,
  name: 60,
  label: 200,
  text: 20_000,
  editableText: 20_000,
  defaultMaxLength: 4096,
  options: 50,
  optionText: 200,
  url: 2048,
  caption: 1024,
  columns: 20,
  rows: 200,
  cell: 1000,
  items: 100,
  quote: 4000,
  pageImages: 10,
  variables: 20,
}

export type Component = { type: ComponentType; name?: string; label?: string } & Record<
  string,
  unknown
>

export interface ComponentProblem {
  /** `components.<index>.<field>`, the key of the 422's `fields`. */
  field: string
  message: string
}

/** What each type accepts besides type, name and label. */
const PROPERTIES: Record<ComponentType, string[]> = {
  text: ['text'],
  editable_text: ['value', 'max_length', 'required', 'multiline', 'placeholder'],
  choice: ['options', 'multiple', 'value', 'required'],
  number: ['value', 'min', 'max', 'step', 'required', 'unit'],
  date: ['value', 'required'],
  image: ['url', 'caption', 'alt'],
  video: ['url', 'caption'],
  audio: ['url', 'caption'],
  document: ['url', 'filename', 'caption', 'page_images', 'pages'],
  table: ['columns', 'rows', 'highlight_row', 'caption', 'links'],
  key_values: ['items'],
  citations: ['items'],
  message_preview: ['text', 'template', 'text_from'],
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,59}$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

const isString = (value: unknown): value is string => typeof value === 'string'
const chars = (value: string) => [...value].length
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function isHttpUrl(value: unknown) {
  if (!isString(value) || value.length > LIMITS.url) return false
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

/**
 * Every problem with a task's components; empty when they can be stored.
 * A message says which component (its position and name) and what is wrong.
 */
export function checkComponents(input: unknown): ComponentProblem[] {
  const problems: ComponentProblem[] = []
  if (!Array.isArray(input)) {
    return [{ field: 'components', message: 'A list of components' }]
  }
  if (input.length > LIMITS.components) {
    problems.push({ field: 'components', message: `At most ${LIMITS.components} components` })
    return problems
  }
  const names = new Set<string>()
  input.forEach((component, index) => {
    const at = `components.${index}`
    const label = () =>
      `Component ${index + 1}${isObject(component) && isString(component.name) ? ` (${component.name})` : ''}`
    const need = (ok: boolean, field: string, message: string) => {
      if (!ok) problems.push({ field: `${at}.${field}`, message: `${label()}: ${message}` })
    }
    if (!isObject(component)) {
      problems.push({ field: at, message: `${label()}: an object with a type` })
      return
    }
    const type = component.type
    if (!isString(type) || !(COMPONENT_TYPES as readonly string[]).includes(type)) {
      need(
        false,
        'type',
        `unknown type ${JSON.stringify(type ?? null)}; one of ${COMPONENT_TYPES.join(', ')}`
      )
      return
    }
    const kind = type as ComponentType
    const allowed = new Set(['type', 'name', 'label', ...PROPERTIES[kind]])
    for (const key of Object.keys(component)) {
      need(allowed.has(key), key, `${key} is not a property of ${kind}`)
    }
    const isInput = INPUT_TYPES.includes(kind)
    if (component.name !== undefined || isInput) {
      need(
        isString(component.name) && NAME.test(component.name),
        'name',
        'a name of letters, digits and _ (starting with a letter, at most 60)'
      )
      if (isString(component.name)) {
        need(!names.has(component.name), 'name', `the name ${component.name} is used twice`)
        names.add(component.name)
      }
    }
    if (component.label !== undefined || isInput) {
      need(
        isString(component.label) &&
          component.label.trim().length > 0 &&
          chars(component.label) <= LIMITS.label,
        'label',
        `a label of 1 to ${LIMITS.label} characters`
      )
    }
    const optionalBool = (field: string) =>
      need(
        component[field] === undefined || typeof component[field] === 'boolean',
        field,
        'true or false'
      )
    const optionalText = (field: string, max: number) =>
      need(
        component[field] === undefined ||
          component[field] === null ||
          (isString(component[field]) && chars(component[field] as string) <= max),
        field,
        `text of at most ${max} characters`
      )

    switch (kind) {
      case 'text':
        need(isString(component.text), 'text', 'text is required (Markdown)')
        if (isString(component.text)) {
          need(chars(component.text) <= LIMITS.text, 'text', `at most ${LIMITS.text} characters`)
        }
        break
      case 'editable_text': {
        const max = component.max_length
        need(
          max === undefined ||
            (Number.isInteger(max) &&
              (max as number) >= 1 &&
              (max as number) <= LIMITS.editableText),
          'max_length',
          `a whole number from 1 to ${LIMITS.editableText}`
        )
        const limit = Number.isInteger(max) ? (max as number) : LIMITS.defaultMaxLength
        need(
          component.value === undefined || isString(component.value),
          'value',
          'the initial text'
        )
        if (isString(component.value)) {
          need(
            chars(component.value) <= limit,
            'value',
            `longer than max_length (${chars(component.value)} > ${limit})`
          )
        }
        optionalBool('required')
        optionalBool('multiline')
        optionalText('placeholder', LIMITS.label)
        break
      }
      case 'choice': {
        const options = component.options
        const valid =
          Array.isArray(options) && options.length >= 1 && options.length <= LIMITS.options
        need(valid, 'options', `1 to ${LIMITS.options} options, each {value, label}`)
        if (valid) {
          ;(options as unknown[]).forEach((option, o) => {
            need(
              isObject(option) &&
                isString(option.value) &&
                option.value.length > 0 &&
                chars(option.value) <= LIMITS.optionText &&
                isString(option.label) &&
                option.label.trim().length > 0 &&
                chars(option.label) <= LIMITS.optionText,
              `options.${o}`,
              `each option is {value, label} of at most ${LIMITS.optionText} characters`
            )
          })
          const values = (options as Array<{ value?: unknown }>).map((o) => o?.value)
          need(new Set(values).size === values.length, 'options', 'option values must differ')
        }
        optionalBool('multiple')
        optionalBool('required')
        if (component.value !== undefined && valid) {
          const values = (options as Array<{ value: string }>).map((o) => o.value)
          const given = Array.isArray(component.value) ? component.value : [component.value]
          need(
            (component.multiple === true || !Array.isArray(component.value)) &&
              given.every((v) => values.includes(v as string)),
            'value',
            'the initial choice must be among the options'
          )
        }
        break
      }
      case 'number':
        for (const field of ['value', 'min', 'max', 'step']) {
          need(
            component[field] === undefined ||
              component[field] === null ||
              (typeof component[field] === 'number' && Number.isFinite(component[field])),
            field,
            'a number'
          )
        }
        optionalBool('required')
        optionalText('unit', 20)
        break
      case 'date':
        need(
          component.value === undefined ||
            component.value === null ||
            (isString(component.value) && DATE.test(component.value)),
          'value',
          'a date as YYYY-MM-DD'
        )
        optionalBool('required')
        break
      case 'image':
      case 'video':
      case 'audio':
        need(isHttpUrl(component.url), 'url', 'an http(s) address is required')
        optionalText('caption', LIMITS.caption)
        optionalText('alt', LIMITS.label)
        break
      case 'document':
        need(isHttpUrl(component.url), 'url', 'an http(s) address of the PDF is required')
        optionalText('filename', LIMITS.label)
        optionalText('caption', LIMITS.caption)
        need(
          component.pages === undefined ||
            (Number.isInteger(component.pages) && (component.pages as number) >= 0),
          'pages',
          'a page count'
        )
        need(
          component.page_images === undefined ||
            (Array.isArray(component.page_images) &&
              component.page_images.length <= LIMITS.pageImages &&
              component.page_images.every(isHttpUrl)),
          'page_images',
          `up to ${LIMITS.pageImages} http(s) addresses of page images`
        )
        break
      case 'table': {
        const columns = component.columns
        const validColumns =
          Array.isArray(columns) &&
          columns.length >= 1 &&
          columns.length <= LIMITS.columns &&
          columns.every(
            (c) =>
              isObject(c) &&
              isString(c.key) &&
              c.key.length > 0 &&
              isString(c.label) &&
              chars(c.label) <= LIMITS.label
          )
        need(validColumns, 'columns', `1 to ${LIMITS.columns} columns, each {key, label}`)
        const rows = component.rows
        need(
          Array.isArray(rows) && rows.length <= LIMITS.rows,
          'rows',
          `a list of at most ${LIMITS.rows} rows`
        )
        if (Array.isArray(rows)) {
          rows.forEach((row, r) => {
            need(
              isObject(row) &&
                Object.values(row).every(
                  (cell) =>
                    cell === null ||
                    typeof cell === 'number' ||
                    typeof cell === 'boolean' ||
                    (isString(cell) && chars(cell) <= LIMITS.cell)
                ),
              `rows.${r}`,
              `a row is an object of cells (text of at most ${LIMITS.cell} characters, numbers)`
            )
          })
        }
        need(
          component.highlight_row === undefined ||
            component.highlight_row === null ||
            (Number.isInteger(component.highlight_row) &&
              Array.isArray(rows) &&
              (component.highlight_row as number) >= 0 &&
              (component.highlight_row as number) < rows.length),
          'highlight_row',
          'the index of a row'
        )
        optionalText('caption', LIMITS.caption)
        // Per row, the cells that link somewhere (a figure to its page in a document).
        need(
          component.links === undefined ||
            (Array.isArray(component.links) &&
              Array.isArray(rows) &&
              component.links.length <= rows.length &&
              component.links.every(
                (row) =>
                  row === null ||
                  (isObject(row) && Object.values(row).every((href) => isHttpUrl(href)))
              )),
          'links',
          'per row, null or an object of column key to an http(s) address'
        )
        break
      }
      case 'key_values': {
        const items = component.items
        need(
          Array.isArray(items) && items.length >= 1 && items.length <= LIMITS.items,
          'items',
          `1 to ${LIMITS.items} items, each {label, value}`
        )
        if (Array.isArray(items)) {
          items.forEach((item, i) =>
            need(
              isObject(item) &&
                isString(item.label) &&
                chars(item.label) <= LIMITS.label &&
                (isString(item.value) || typeof item.value === 'number') &&
                chars(String(item.value)) <= LIMITS.cell,
              `items.${i}`,
              'each item is {label, value}'
            )
          )
        }
        break
      }
      case 'citations': {
        const items = component.items
        need(
          Array.isArray(items) && items.length >= 1 && items.length <= LIMITS.items,
          'items',
          `1 to ${LIMITS.items} citations, each {source, heading?, quote}`
        )
        if (Array.isArray(items)) {
          items.forEach((item, i) =>
            need(
              isObject(item) &&
                isString(item.source) &&
                chars(item.source) <= LIMITS.label &&
                isString(item.quote) &&
                chars(item.quote) <= LIMITS.quote &&
                (item.heading === undefined ||
                  item.heading === null ||
                  (isString(item.heading) && chars(item.heading) <= LIMITS.label)) &&
                (item.url === undefined || isHttpUrl(item.url)),
              `items.${i}`,
              `each citation is {source, heading?, quote (at most ${LIMITS.quote})}`
            )
          )
        }
        break
      }
      case 'message_preview': {
        const hasText = isString(component.text)
        const template = component.template
        need(
          hasText || isObject(template) || isString(component.text_from),
          'text',
          'text, text_from (an editable_text name) or template is required'
        )
        if (hasText) {
          need(chars(component.text as string) <= 4096, 'text', 'at most 4096 characters')
        }
        if (template !== undefined) {
          need(
            isObject(template) &&
              isString(template.name) &&
              /^[a-z0-9_]{1,512}$/.test(template.name) &&
              isString(template.language) &&
              (template.variables === undefined ||
                (Array.isArray(template.variables) &&
                  template.variables.length <= LIMITS.variables &&
                  template.variables.every(isString))),
            'template',
            'a template is {name, language, variables?: [text]}'
          )
        }
        break
      }
    }
  })

  // text_from names an editable_text of this task.
  input.forEach((component, index) => {
    if (isObject(component) && component.type === 'message_preview' && component.text_from) {
      const target = input.find(
        (other) =>
          isObject(other) && other.type === 'editable_text' && other.name === component.text_from
      )
      if (!target) {
        problems.push({
          field: `components.${index}.text_from`,
          message: `Component ${index + 1}: text_from must name an editable_text component`,
        })
      }
    }
  })
  return problems
}

/** Components people fill in, by name. */
export function inputComponents(components: Component[]) {
  return components.filter((c) => INPUT_TYPES.includes(c.type) && c.name) as Array<
    Component & { name: string }
  >
}

export type Values = Record<string, unknown>

/** The values as the task was created: what the AI proposed. */
export function initialValues(components: Component[]): Values {
  const values: Values = {}
  for (const component of inputComponents(components)) {
    if (component.type === 'choice') {
      values[component.name] = component.value ?? (component.multiple ? [] : null)
    } else if (component.type === 'editable_text') {
      values[component.name] = component.value ?? ''
    } else {
      values[component.name] = component.value ?? null
    }
  }
  return values
}

/**
 * Checks submitted values against the task's input components and returns
 * the complete set (initial values where nothing was sent). `required`
 * holds only for an approval: a rejection needs no filled-in form.
 */
export function checkValues(
  components: Component[],
  submitted: Values,
  options: { enforceRequired: boolean }
): { values: Values; problems: ComponentProblem[] } {
  const problems: ComponentProblem[] = []
  const inputs = inputComponents(components)
  const byName = new Map(inputs.map((c) => [c.name, c]))
  for (const name of Object.keys(submitted)) {
    if (!byName.has(name)) {
      problems.push({ field: `values.${name}`, message: `No input component is named ${name}` })
    }
  }
  const values = initialValues(components)
  for (const component of inputs) {
    const field = `values.${component.name}`
    const has = Object.prototype.hasOwnProperty.call(submitted, component.name)
    let value = has ? submitted[component.name] : values[component.name]
    const fail = (message: string) =>
      problems.push({ field, message: `${component.label ?? component.name}: ${message}` })
    switch (component.type) {
      case 'editable_text': {
        if (value === null || value === undefined) value = ''
        if (!isString(value)) {
          fail('text expected')
          break
        }
        const max = (component.max_length as number | undefined) ?? LIMITS.defaultMaxLength
        if (chars(value) > max) fail(`at most ${max} characters`)
        if (options.enforceRequired && component.required && !value.trim()) fail('required')
        break
      }
      case 'choice': {
        const allowed = (component.options as Array<{ value: string }>).map((o) => o.value)
        if (component.multiple) {
          if (value === null || value === undefined) value = []
          if (isString(value)) value = [value]
          if (!Array.isArray(value) || !value.every((v) => allowed.includes(v))) {
            fail('choose among the options')
            break
          }
          if (options.enforceRequired && component.required && value.length === 0) fail('required')
        } else {
          if (value === '' || value === undefined) value = null
          if (value !== null && !allowed.includes(value as string)) {
            fail('choose one of the options')
            break
          }
          if (options.enforceRequired && component.required && value === null) fail('required')
        }
        break
      }
      case 'number': {
        if (value === '' || value === undefined) value = null
        if (isString(value)) value = Number(value)
        if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
          fail('a number')
          break
        }
        if (typeof value === 'number') {
          if (typeof component.min === 'number' && value < component.min)
            fail(`at least ${component.min}`)
          if (typeof component.max === 'number' && value > component.max)
            fail(`at most ${component.max}`)
        }
        if (options.enforceRequired && component.required && value === null) fail('required')
        break
      }
      case 'date':
        if (value === '' || value === undefined) value = null
        if (value !== null && !(isString(value) && DATE.test(value))) {
          fail('a date as YYYY-MM-DD')
          break
        }
        if (options.enforceRequired && component.required && value === null) fail('required')
        break
    }
    values[component.name] = value
  }
  return { values, problems }
}

/** Names whose submitted value differs from the AI's original. */
export function editedNames(original: Values, values: Values) {
  return Object.keys(values).filter(
    (name) => JSON.stringify(original[name] ?? null) !== JSON.stringify(values[name] ?? null)
  )
}

/** The OpenAPI schema of one component (a oneOf by type). */
export function componentJsonSchema() {
  const base = {
    name: { type: 'string', pattern: NAME.source, description: 'Required for inputs' },
    label: { type: 'string', maxLength: LIMITS.label },
  }
  const variant = (
    type: ComponentType,
    properties: Record<string, unknown>,
    required: string[]
  ) => ({
    type: 'object',
    title: type,
    additionalProperties: false,
    required: ['type', ...required],
    properties: { type: { const: type }, ...base, ...properties },
  })
  const url = { type: 'string', format: 'uri', maxLength: LIMITS.url }
  return {
    oneOf: [
      variant(
        'text',
        { text: { type: 'string', maxLength: LIMITS.text, description: 'Markdown' } },
        ['text']
      ),
      variant(
        'editable_text',
        {
          value: { type: 'string', description: 'The initial text (the AI’s draft)' },
          max_length: {
            type: 'integer',
            minimum: 1,
            maximum: LIMITS.editableText,
            default: LIMITS.defaultMaxLength,
          },
          required: { type: 'boolean' },
          multiline: { type: 'boolean' },
          placeholder: { type: 'string' },
        },
        ['name', 'label']
      ),
      variant(
        'choice',
        {
          options: {
            type: 'array',
            minItems: 1,
            maxItems: LIMITS.options,
            items: {
              type: 'object',
              required: ['value', 'label'],
              properties: { value: { type: 'string' }, label: { type: 'string' } },
            },
          },
          multiple: { type: 'boolean' },
          value: { description: 'The initial choice (a list when multiple)' },
          required: { type: 'boolean' },
        },
        ['name', 'label', 'options']
      ),
      variant(
        'number',
        {
          value: { type: ['number', 'null'] },
          min: { type: 'number' },
          max: { type: 'number' },
          step: { type: 'number' },
          unit: { type: 'string' },
          required: { type: 'boolean' },
        },
        ['name', 'label']
      ),
      variant(
        'date',
        { value: { type: ['string', 'null'], format: 'date' }, required: { type: 'boolean' } },
        ['name', 'label']
      ),
      variant('image', { url, caption: { type: 'string' }, alt: { type: 'string' } }, ['url']),
      variant('video', { url, caption: { type: 'string' } }, ['url']),
      variant('audio', { url, caption: { type: 'string' } }, ['url']),
      variant(
        'document',
        {
          url,
          filename: { type: 'string' },
          caption: { type: 'string' },
          pages: { type: 'integer' },
          page_images: {
            type: 'array',
            items: url,
            maxItems: LIMITS.pageImages,
            description: 'The first pages as images',
          },
        },
        ['url']
      ),
      variant(
        'table',
        {
          columns: {
            type: 'array',
            items: {
              type: 'object',
              required: ['key', 'label'],
              properties: { key: { type: 'string' }, label: { type: 'string' } },
            },
          },
          rows: {
            type: 'array',
            maxItems: LIMITS.rows,
            items: { type: 'object', description: 'Cells by column key' },
          },
          highlight_row: { type: 'integer', description: 'Index of the row to highlight' },
          caption: { type: 'string' },
          links: {
            type: 'array',
            description:
              'Per row (same order), null or the cells that link somewhere: column key to an http(s) address',
            items: {
              anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: url }],
            },
          },
        },
        ['columns', 'rows']
      ),
      variant(
        'key_values',
        {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['label', 'value'],
              properties: { label: { type: 'string' }, value: { type: ['string', 'number'] } },
            },
          },
        },
        ['items']
      ),
      variant(
        'citations',
        {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['source', 'quote'],
              properties: {
                source: { type: 'string' },
                heading: { type: ['string', 'null'] },
                quote: { type: 'string' },
                url,
              },
            },
          },
        },
        ['items']
      ),
      variant(
        'message_preview',
        {
          text: { type: 'string', maxLength: 4096 },
          text_from: {
            type: 'string',
            description: 'Show the current value of this editable_text',
          },
          template: {
            type: 'object',
            required: ['name', 'language'],
            properties: {
              name: { type: 'string' },
              language: { type: 'string' },
              variables: { type: 'array', items: { type: 'string' } },
            },
          },
        },
        []
      ),
    ],
  }
}
