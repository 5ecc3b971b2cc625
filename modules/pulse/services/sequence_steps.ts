import { randomBytes } from 'node:crypto'
import { WEEKDAYS, parseClock, type Weekday } from './local_time.js'

/*
| A sequence's steps are a tree: a list of steps run in order, where the
| steps that choose (a condition, a wait for a reply) hold their branches as
| nested lists. A branch that ends goes on with the step after the one that
| chose, so the tree reads like the list editor shows it. Every step has a
| short id, unique in its sequence, which enrollments, due rows and the
| timeline name.
*/

export const STEP_TYPES = [
  'send',
  'wait',
  'wait_reply',
  'condition',
  'add_label',
  'remove_label',
  'set_field',
  'create_task',
  'handoff',
  'enroll',
  'end',
] as const
export type StepType = (typeof STEP_TYPES)[number]

export const WAIT_UNITS = ['minutes', 'hours', 'days'] as const
export type WaitUnit = (typeof WAIT_UNITS)[number]
export const CONDITION_ON = ['field', 'label', 'consent', 'reply_text', 'reply_button'] as const
export const CONDITION_OPS = ['eq', 'neq', 'contains', 'exists', 'not_exists'] as const

export interface SendTemplate {
  name: string
  language: string
  variables: string[]
}

export interface Step {
  id: string
  type: StepType
  // send
  text?: string
  template?: SendTemplate | null
  // wait, wait_reply (timeout)
  amount?: number
  unit?: WaitUnit
  until?: { weekdays: Weekday[]; at: string } | null
  // condition
  on?: (typeof CONDITION_ON)[number]
  key?: string
  op?: (typeof CONDITION_OPS)[number]
  value?: string
  // add_label, remove_label
  label?: string
  // create_task, handoff
  title?: string
  note?: string
  // enroll
  sequence_id?: string
  // branches
  then?: Step[]
  else?: Step[]
  replied?: Step[]
  timeout?: Step[]
}

/** The branch lists a step holds, by name, in the order the editor shows them. */
export const BRANCHES: Partial<Record<StepType, Array<'then' | 'else' | 'replied' | 'timeout'>>> = {
  condition: ['then', 'else'],
  wait_reply: ['replied', 'timeout'],
}

export const MAX_WAIT_MINUTES = 100 * 24 * 60
const MAX_STEPS = 200

export function newStepId() {
  return randomBytes(4).toString('hex')
}

export function minutesOf(amount: number, unit: WaitUnit) {
  return amount * (unit === 'days' ? 1440 : unit === 'hours' ? 60 : 1)
}

/** Every step with its place: the list it is in, its index and the step holding that list. */
interface Place {
  step: Step
  list: Step[]
  index: number
  parent: Step | null
}

export function walk(steps: Step[], parent: Step | null = null, out: Place[] = []): Place[] {
  steps.forEach((step, index) => {
    out.push({ step, list: steps, index, parent })
    for (const branch of BRANCHES[step.type] ?? []) walk(step[branch] ?? [], step, out)
  })
  return out
}

export function findStep(steps: Step[], id: string): Step | null {
  return walk(steps).find((place) => place.step.id === id)?.step ?? null
}

/** The step that runs after `id` finishes (going up out of ended branches), or null at the end. */
export function stepAfter(steps: Step[], id: string): Step | null {
  const places = walk(steps)
  let place = places.find((p) => p.step.id === id)
  while (place) {
    if (place.index + 1 < place.list.length) return place.list[place.index + 1]
    if (!place.parent) return null
    const parentId: string = place.parent.id
    place = places.find((p) => p.step.id === parentId)
  }
  return null
}

/** The first step of a branch, or (an empty branch) the step after the one that chose. */
export function enterBranch(steps: Step[], chooser: Step, branch: string): Step | null {
  const list = (chooser as any)[branch] as Step[] | undefined
  if (list?.length) return list[0]
  return stepAfter(steps, chooser.id)
}

export type StepProblems = Record<string, string>

function text(value: unknown, max: number) {
  return typeof value === 'string' ? value.trim().slice(0, max) : ''
}

/**
 * The steps as stored: unknown keys dropped, ids kept or given, and the
 * problems by field path (`steps.<id>.text`) for the editor and the API.
 */
export function cleanSteps(input: unknown, problems: StepProblems = {}, seen = new Set<string>()) {
  const list = Array.isArray(input) ? input : []
  const out: Step[] = []
  for (const raw of list) {
    if (!raw || typeof raw !== 'object') continue
    const given = raw as Record<string, any>
    const type = STEP_TYPES.includes(given.type) ? (given.type as StepType) : null
    let id = typeof given.id === 'string' && /^[a-z0-9]{1,40}$/i.test(given.id) ? given.id : ''
    if (!id || seen.has(id)) id = newStepId()
    seen.add(id)
    if (seen.size > MAX_STEPS) {
      problems.steps = `At most ${MAX_STEPS} steps`
      break
    }
    const at = `steps.${id}`
    if (!type) {
      problems[`${at}.type`] = 'Choose what this step does'
      continue
    }
    const step: Step = { id, type }
    switch (type) {
      case 'send': {
        step.text = text(given.text, 4096)
        const template = given.template
        if (template && typeof template === 'object' && text(template.name, 512)) {
          step.template = {
            name: text(template.name, 512),
            language: text(template.language, 15) || 'en',
            variables: Array.isArray(template.variables)
              ? template.variables.map((v: unknown) => text(v, 1024)).slice(0, 20)
              : [],
          }
        } else step.template = null
        if (!step.text && !step.template)
          problems[`${at}.text`] = 'Write the message or choose a template'
        break
      }
      case 'wait':
      case 'wait_reply': {
        const until = given.until
        if (type === 'wait' && until && typeof until === 'object' && parseClock(until.at)) {
          const weekdays = (Array.isArray(until.weekdays) ? until.weekdays : []).filter((d: any) =>
            WEEKDAYS.includes(d)
          )
          step.until = { weekdays, at: until.at }
        } else {
          step.until = null
          step.amount = Number(given.amount)
          step.unit = WAIT_UNITS.includes(given.unit) ? given.unit : 'days'
          const minutes = minutesOf(step.amount, step.unit!)
          if (!Number.isInteger(step.amount) || step.amount < 1 || minutes > MAX_WAIT_MINUTES) {
            problems[`${at}.amount`] = 'From 1 minute to 100 days'
          }
        }
        if (type === 'wait_reply') {
          step.replied = cleanSteps(given.replied, problems, seen)
          step.timeout = cleanSteps(given.timeout, problems, seen)
        }
        break
      }
      case 'condition': {
        step.on = CONDITION_ON.includes(given.on) ? given.on : 'field'
        step.op = CONDITION_OPS.includes(given.op) ? given.op : 'eq'
        step.key = text(given.key, 64)
        step.value = text(given.value, 512)
        if ((step.on === 'field' || step.on === 'label') && !step.key && step.on === 'field') {
          problems[`${at}.key`] = 'Name the field'
        }
        if (step.on === 'label' && !step.value && !step.key)
          problems[`${at}.value`] = 'Name the label'
        step.then = cleanSteps(given.then, problems, seen)
        step.else = cleanSteps(given.else, problems, seen)
        break
      }
      case 'add_label':
      case 'remove_label':
        step.label = text(given.label, 64).toLowerCase()
        if (!step.label) problems[`${at}.label`] = 'Name the label'
        break
      case 'set_field':
        step.key = text(given.key, 64)
        step.value = text(given.value, 512)
        if (!step.key) problems[`${at}.key`] = 'Name the field'
        break
      case 'create_task':
        step.title = text(given.title, 200)
        step.note = text(given.note, 2000)
        if (!step.title) problems[`${at}.title`] = 'Give the task a title'
        break
      case 'handoff':
        step.note = text(given.note, 500)
        break
      case 'enroll':
        step.sequence_id = text(given.sequence_id, 36)
        if (!/^[0-9a-f-]{36}$/i.test(step.sequence_id)) {
          problems[`${at}.sequence_id`] = 'Choose the sequence'
        }
        break
      case 'end':
        break
    }
    out.push(step)
  }
  return out
}

/** A new step of a type with the editor's defaults. */
export function blankStep(type: StepType): Step {
  const id = newStepId()
  switch (type) {
    case 'send':
      return { id, type, text: '', template: null }
    case 'wait':
      return { id, type, amount: 1, unit: 'days', until: null }
    case 'wait_reply':
      return { id, type, amount: 1, unit: 'days', replied: [], timeout: [] }
    case 'condition':
      return { id, type, on: 'label', op: 'exists', key: '', value: '', then: [], else: [] }
    case 'add_label':
    case 'remove_label':
      return { id, type, label: '' }
    case 'set_field':
      return { id, type, key: '', value: '' }
    case 'create_task':
      return { id, type, title: '', note: '' }
    case 'handoff':
      return { id, type, note: '' }
    case 'enroll':
      return { id, type, sequence_id: '' }
    case 'end':
      return { id, type }
  }
}

/** A copy of the tree with `step` inserted into a list: the top, or a branch of `parentId`. */
export function insertStep(
  steps: Step[],
  step: Step,
  where: { parentId?: string | null; branch?: string | null; index?: number }
): Step[] {
  const copy = structuredClone(steps)
  let list = copy
  if (where.parentId) {
    const parent = findStep(copy, where.parentId)
    const branch = where.branch as 'then'
    if (!parent || !(BRANCHES[parent.type] ?? []).includes(branch)) return copy
    parent[branch] = parent[branch] ?? []
    list = parent[branch]!
  }
  const index = Math.max(0, Math.min(where.index ?? list.length, list.length))
  list.splice(index, 0, step)
  return copy
}

export function removeStep(steps: Step[], id: string): Step[] {
  const copy = structuredClone(steps)
  const place = walk(copy).find((p) => p.step.id === id)
  if (place) place.list.splice(place.index, 1)
  return copy
}

export function moveStep(steps: Step[], id: string, direction: 'up' | 'down'): Step[] {
  const copy = structuredClone(steps)
  const place = walk(copy).find((p) => p.step.id === id)
  if (!place) return copy
  const to = direction === 'up' ? place.index - 1 : place.index + 1
  if (to < 0 || to >= place.list.length) return copy
  ;[place.list[place.index], place.list[to]] = [place.list[to], place.list[place.index]]
  return copy
}

/** A copy with the step's own settings replaced (its branches kept). */
export function replaceStep(steps: Step[], id: string, settings: Record<string, unknown>): Step[] {
  const copy = structuredClone(steps)
  const place = walk(copy).find((p) => p.step.id === id)
  if (!place) return copy
  const kept: Record<string, unknown> = {}
  for (const branch of BRANCHES[place.step.type] ?? []) kept[branch] = place.step[branch]
  place.list[place.index] = { ...settings, ...kept, id, type: place.step.type } as Step
  return copy
}
