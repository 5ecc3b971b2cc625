import type {
  NewTemplate,
  TemplateButton,
  TemplateHeaderFormat,
  TemplateProblem,
} from '../services/template_service.js'
import type { TemplateCategory } from '../models/message_template.js'

/*
| The "new template" form: what it sends (plain strings, buttons as numbered
| rows) turned into a NewTemplate for template_service, whose checks are the
| rules; and those checks' field names turned back into the form's.
*/

/** The languages WhatsApp offers for templates (its codes), most asked for first. */
export const TEMPLATE_LANGUAGES = [
  'en',
  'en_US',
  'en_GB',
  'ar',
  'fr',
  'es',
  'es_MX',
  'es_ES',
  'de',
  'it',
  'pt_BR',
  'pt_PT',
  'tr',
  'ur',
  'hi',
  'fa',
  'he',
  'id',
  'ms',
  'nl',
  'ru',
  'uk',
  'pl',
  'ro',
  'sv',
  'da',
  'nb',
  'fi',
  'el',
  'cs',
  'hu',
  'bn',
  'ta',
  'te',
  'ml',
  'mr',
  'gu',
  'kn',
  'pa',
  'th',
  'vi',
  'fil',
  'ja',
  'ko',
  'zh_CN',
  'zh_HK',
  'zh_TW',
  'sw',
  'af',
  'zu',
] as const

export const TEMPLATE_CATEGORIES: TemplateCategory[] = ['MARKETING', 'UTILITY', 'AUTHENTICATION']
export const BUTTON_KINDS = ['', 'QUICK_REPLY', 'URL', 'PHONE_NUMBER'] as const
/** Button rows on the form; WhatsApp allows ten buttons in all. */
export const BUTTON_ROWS = 10

export interface TemplateButtonForm {
  type: (typeof BUTTON_KINDS)[number]
  text: string
  value: string
  example: string
}

/** What the form holds, as typed: it is shown again as is when something is wrong. */
export interface TemplateForm {
  channel_id: string
  name: string
  language: string
  category: string
  header_format: string
  header_text: string
  header_example: string
  /** A media header's sample: the handle Meta gave for it, and the file's name to show. */
  header_handle: string
  header_sample_name: string
  body: string
  body_examples: string
  footer: string
  buttons: TemplateButtonForm[]
}

function text(value: unknown) {
  return typeof value === 'string' ? value : ''
}

export function emptyTemplateForm(channelId = ''): TemplateForm {
  return {
    channel_id: channelId,
    name: '',
    language: 'en',
    category: 'UTILITY',
    header_format: 'NONE',
    header_text: '',
    header_example: '',
    header_handle: '',
    header_sample_name: '',
    body: '',
    body_examples: '',
    footer: '',
    buttons: Array.from({ length: BUTTON_ROWS }, () => ({
      type: '',
      text: '',
      value: '',
      example: '',
    })),
  }
}

/** The form's fields from a request body, every one a string, ten button rows. */
export function templateFormFrom(body: Record<string, unknown>): TemplateForm {
  const rows = Array.isArray(body.buttons)
    ? body.buttons
    : body.buttons && typeof body.buttons === 'object'
      ? Object.values(body.buttons as object)
      : []
  const form = emptyTemplateForm(text(body.channel_id))
  form.name = text(body.name).trim()
  form.language = text(body.language).trim()
  form.category = text(body.category).trim().toUpperCase()
  form.header_format = text(body.header_format).trim().toUpperCase() || 'NONE'
  form.header_text = text(body.header_text)
  form.header_example = text(body.header_example).trim()
  form.header_handle = text(body.header_handle).trim()
  form.header_sample_name = text(body.header_sample_name).trim()
  form.body = text(body.body).replace(/\r\n/g, '\n')
  form.body_examples = text(body.body_examples).replace(/\r\n/g, '\n')
  form.footer = text(body.footer)
  form.buttons = form.buttons.map((empty, index) => {
    const row = (rows[index] ?? {}) as Record<string, unknown>
    const type = text(row.type).toUpperCase() as TemplateButtonForm['type']
    return {
      type: BUTTON_KINDS.includes(type) ? type : empty.type,
      text: text(row.text),
      value: text(row.value).trim(),
      example: text(row.example).trim(),
    }
  })
  return form
}

/**
 * The template the form describes. Button rows with no kind are left out;
 * the examples textarea has one example per line, line n for {{n}}.
 */
export function templateFromForm(form: TemplateForm): NewTemplate {
  const buttons: TemplateButton[] = []
  for (const row of form.buttons) {
    if (row.type === 'QUICK_REPLY') buttons.push({ type: 'QUICK_REPLY', text: row.text.trim() })
    if (row.type === 'URL') {
      buttons.push({ type: 'URL', text: row.text.trim(), url: row.value, example: row.example })
    }
    if (row.type === 'PHONE_NUMBER') {
      buttons.push({ type: 'PHONE_NUMBER', text: row.text.trim(), phone: row.value })
    }
  }
  const format = form.header_format as TemplateHeaderFormat
  return {
    name: form.name,
    language: form.language,
    category: form.category as TemplateCategory,
    body: form.body,
    bodyExamples: form.body_examples
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
    headerFormat: format,
    header: format === 'TEXT' ? form.header_text.trim() : undefined,
    headerExample:
      format === 'TEXT' ? form.header_example : format === 'NONE' ? undefined : form.header_handle,
    footer: form.footer.trim() || undefined,
    buttons,
  }
}

const FIELD_NAMES: Record<string, string> = {
  bodyExamples: 'body_examples',
  headerFormat: 'header_format',
  header: 'header_text',
  headerExample: 'header_example',
}

/**
 * template_service's problems keyed by the form's field names. Button
 * problems name the button's place among the buttons given, which is the
 * n-th row with a kind, not always the n-th row of the form.
 */
export function formErrorsFrom(
  problems: TemplateProblem[],
  form: TemplateForm,
  translate: (problem: TemplateProblem) => string
): Record<string, string> {
  const usedRows = form.buttons
    .map((row, index) => (row.type ? index : -1))
    .filter((index) => index >= 0)
  const errors: Record<string, string> = {}
  for (const problem of problems) {
    let field = FIELD_NAMES[problem.field] ?? problem.field
    // A media header's example is its sample file.
    if (problem.rule === 'header_media_example') field = 'header_sample'
    const button = /^buttons\.(\d+)\.(\w+)$/.exec(problem.field)
    if (button) field = `buttons.${usedRows[Number(button[1])] ?? button[1]}.${button[2]}`
    errors[field] ??= translate(problem)
  }
  return errors
}
