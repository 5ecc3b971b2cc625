import type { TemplateForm } from '../validators/template_validator.js'

/*
| How a template being written will read on the customer's phone: variables
| filled with their examples where given. The same rules run in the browser
| (resources/public/assets/templates.js) while the member types; this one
| renders the page, so the preview is right without JavaScript too.
*/

export interface TemplatePreview {
  headerFormat: string
  headerText: string
  body: string
  footer: string
  buttons: Array<{ kind: string; text: string }>
}

/** `{{n}}` replaced by the n-th example, when there is one. */
export function fillVariables(text: string, examples: string[]) {
  return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n) => examples[Number(n) - 1] || whole)
}

export function templatePreview(form: TemplateForm): TemplatePreview {
  const examples = form.body_examples.split('\n').map((line) => line.trim())
  const headerFormat = form.header_format || 'NONE'
  return {
    headerFormat,
    headerText:
      headerFormat === 'TEXT' ? fillVariables(form.header_text, [form.header_example]) : '',
    body: fillVariables(form.body, examples),
    footer: form.footer,
    buttons: form.buttons
      .filter((row) => row.type && row.text.trim())
      .map((row) => ({ kind: row.type, text: row.text.trim() })),
  }
}
