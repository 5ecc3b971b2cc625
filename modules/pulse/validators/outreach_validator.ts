import type { NudgeRuleInput } from '../services/nudge_service.js'
import type { DateRuleInput } from '../services/date_reminder_service.js'
import type { CheckinPlanInput } from '../services/checkin_service.js'
import type { PulseSettings } from '../services/relational_pulse_service.js'
import { isClockText } from '../services/rule_times.js'
import { clockMinutes } from '../services/campaign_schedule.js'

/*
| The outreach forms as posted (plain HTML forms, no JavaScript): each
| parser returns the service input and the problems by field name, as
| translation keys the page shows beside the field. A form with problems
| is shown again with what was typed.
*/

export type FormErrors = Record<string, string>
type Body = Record<string, unknown>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/

function text(body: Body, name: string) {
  const value = body[name]
  return typeof value === 'string' ? value.trim() : ''
}

function checked(body: Body, name: string) {
  const value = body[name]
  return value === 'on' || value === 'true' || value === '1' || value === true
}

function lines(value: string) {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
}

function whole(value: string, min: number, max: number): number | null {
  if (!/^-?\d+$/.test(value)) return null
  const n = Number(value)
  return n >= min && n <= max ? n : null
}

function required(errors: FormErrors, name: string, value: string, max: number) {
  if (!value) errors[name] = 'outreach.errors.required'
  else if ([...value].length > max) errors[name] = 'outreach.errors.too_long'
}

function optional(errors: FormErrors, name: string, value: string, max: number) {
  if ([...value].length > max) errors[name] = 'outreach.errors.too_long'
  return value || null
}

/** The template fallback fields every rule shares. */
function templateFields(body: Body, errors: FormErrors) {
  const name = text(body, 'template_name')
  const language = text(body, 'template_language')
  if (name && !TEMPLATE_NAME.test(name)) errors.template_name = 'outreach.errors.template_name'
  if (name && !LANGUAGE.test(language)) errors.template_language = 'outreach.errors.language'
  const variables = lines(text(body, 'template_variables'))
  if (variables.length > 10) errors.template_variables = 'outreach.errors.too_many'
  return {
    templateName: name || null,
    templateLanguage: name ? language : null,
    templateVariables: variables,
  }
}

function channelField(body: Body, errors: FormErrors, channelIds: string[]) {
  const id = text(body, 'channel_id')
  if (!id) return null
  if (!UUID.test(id) || !channelIds.includes(id)) errors.channel_id = 'outreach.errors.channel'
  return id
}

function clockField(body: Body, errors: FormErrors, name: string, fallback: string) {
  const value = text(body, name) || fallback
  if (!isClockText(value)) errors[name] = 'outreach.errors.time'
  return value
}

/** Quiet hours as HH:MM from and until (both empty: none; one alone is an error). */
function quietFields(body: Body, errors: FormErrors) {
  const startText = text(body, 'quiet_start')
  const endText = text(body, 'quiet_end')
  if (!startText && !endText) return { start: null, end: null }
  const start = clockMinutes(startText)
  const end = clockMinutes(endText)
  if (start === null)
    errors.quiet_start = startText ? 'outreach.errors.time' : 'outreach.errors.quiet_both'
  if (end === null)
    errors.quiet_end = endText ? 'outreach.errors.time' : 'outreach.errors.quiet_both'
  if (start !== null && start === end) errors.quiet_end = 'outreach.errors.quiet_same'
  return { start, end }
}

export function nudgeRuleFrom(body: Body): { input: NudgeRuleInput; errors: FormErrors } {
  const errors: FormErrors = {}
  const name = text(body, 'name')
  required(errors, 'name', name, 120)
  const message = text(body, 'message')
  required(errors, 'message', message, 1000)
  const afterHours = whole(text(body, 'after_hours'), 1, 720)
  if (afterHours === null) errors.after_hours = 'outreach.errors.hours'
  const maxNudges = whole(text(body, 'max_nudges'), 1, 10)
  if (maxNudges === null) errors.max_nudges = 'outreach.errors.max_nudges'
  const finalAction = text(body, 'final_action') || 'none'
  if (!['none', 'label', 'resolve'].includes(finalAction))
    errors.final_action = 'outreach.errors.choice'
  const finalLabel = optional(errors, 'final_label', text(body, 'final_label'), 60)
  if (finalAction === 'label' && !finalLabel) errors.final_label = 'outreach.errors.required'
  const quiet = quietFields(body, errors)
  return {
    input: {
      name,
      enabled: checked(body, 'enabled'),
      label: optional(errors, 'label', text(body, 'label'), 60),
      afterHours: afterHours ?? 0,
      maxNudges: maxNudges ?? 0,
      message,
      ...templateFields(body, errors),
      finalAction: finalAction as NudgeRuleInput['finalAction'],
      finalLabel,
      quietStart: quiet.start,
      quietEnd: quiet.end,
    },
    errors,
  }
}

export function dateRuleFrom(
  body: Body,
  options: { dateFields: string[]; channelIds: string[] }
): { input: DateRuleInput; errors: FormErrors } {
  const errors: FormErrors = {}
  const name = text(body, 'name')
  required(errors, 'name', name, 120)
  const fieldKey = text(body, 'field_key')
  if (!options.dateFields.includes(fieldKey)) errors.field_key = 'outreach.errors.date_field'
  const parts = text(body, 'offsets')
    .split(/[\s,]+/)
    .filter(Boolean)
  const offsets = parts.map((part) => whole(part.replace(/^\+/, ''), -365, 365))
  if (!parts.length || parts.length > 10 || offsets.some((n) => n === null)) {
    errors.offsets = 'outreach.errors.offsets'
  }
  const message = optional(errors, 'message', text(body, 'message'), 1000)
  const createTask = checked(body, 'create_task')
  if (!message && !createTask) errors.message = 'outreach.errors.message_or_task'
  return {
    input: {
      name,
      enabled: checked(body, 'enabled'),
      fieldKey,
      offsets: offsets.filter((n): n is number => n !== null),
      localTime: clockField(body, errors, 'local_time', '10:00'),
      channelId: channelField(body, errors, options.channelIds),
      message,
      ...templateFields(body, errors),
      createTask,
      taskTitle: optional(errors, 'task_title', text(body, 'task_title'), 200),
    },
    errors,
  }
}

export function checkinPlanFrom(
  body: Body,
  options: { channelIds: string[] }
): { input: CheckinPlanInput; errors: FormErrors } {
  const errors: FormErrors = {}
  const name = text(body, 'name')
  required(errors, 'name', name, 120)
  const question = text(body, 'question')
  required(errors, 'question', question, 1000)
  const raw = body.days
  const days = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .map((day) => whole(String(day), 1, 7))
    .filter((day): day is number => day !== null)
  if (!days.length) errors.days = 'outreach.errors.days'
  const answers = lines(text(body, 'answers'))
  if (!answers.length || answers.length > 3 || answers.some((a) => [...a].length > 20)) {
    errors.answers = 'outreach.errors.answers'
  }
  const nudgeHours = text(body, 'nudge_after_hours')
  const nudgeAfterHours = nudgeHours ? whole(nudgeHours, 1, 23) : null
  if (nudgeHours && nudgeAfterHours === null)
    errors.nudge_after_hours = 'outreach.errors.nudge_hours'
  const nudgeText = optional(errors, 'nudge_text', text(body, 'nudge_text'), 1000)
  if (nudgeAfterHours && !nudgeText) errors.nudge_text = 'outreach.errors.required'
  return {
    input: {
      name,
      enabled: checked(body, 'enabled'),
      days,
      localTime: clockField(body, errors, 'local_time', '08:00'),
      question,
      answers,
      followUp: optional(errors, 'follow_up', text(body, 'follow_up'), 1000),
      nudgeAfterHours,
      nudgeText,
      tag: optional(errors, 'tag', text(body, 'tag').toLowerCase(), 60),
      channelId: channelField(body, errors, options.channelIds),
      ...templateFields(body, errors),
    },
    errors,
  }
}

export function pulseSettingsFrom(
  body: Body,
  options: { channelIds: string[] }
): { input: PulseSettings; errors: FormErrors } {
  const errors: FormErrors = {}
  const weekday = whole(text(body, 'weekday'), 1, 7)
  if (weekday === null) errors.weekday = 'outreach.errors.choice'
  const tag = text(body, 'tag').toLowerCase()
  required(errors, 'tag', tag, 60)
  return {
    input: {
      enabled: checked(body, 'enabled'),
      weekday: weekday ?? 1,
      localTime: clockField(body, errors, 'local_time', '09:00'),
      tag,
      requiresApproval: checked(body, 'requires_approval'),
      instructions: optional(errors, 'instructions', text(body, 'instructions'), 500),
      channelId: channelField(body, errors, options.channelIds),
      ...templateFields(body, errors),
    },
    errors,
  }
}
