import {
  BRANCHES,
  STEP_TYPES,
  blankStep,
  insertStep,
  moveStep,
  removeStep,
  walk,
  type Step,
  type StepType,
} from '../services/sequence_steps.js'

/*
| The list editor's plain-form scheme. Every step is one flat row of fields,
| `steps[N][...]`, in the order shown, naming the step that holds it
| (`parent`, a step id, empty at the top) and the branch it is in. The server
| turns the rows back into the tree (`treeFromRows`) and the engine's
| cleanSteps validates it; the editor's buttons (`op`) add, remove and move
| steps on the posted tree and re-render it, so it works without JavaScript.
*/

const str = (value: unknown, max = 4096) => (typeof value === 'string' ? value.slice(0, max) : '')

/** The posted rows as the step tree (settings as strings; cleanSteps types and checks them). */
export function treeFromRows(rows: unknown): Step[] {
  const list = Array.isArray(rows)
    ? rows
    : rows && typeof rows === 'object'
      ? Object.keys(rows)
          .sort((a, b) => Number(a) - Number(b))
          .map((k) => (rows as Record<string, unknown>)[k])
      : []
  const top: Step[] = []
  const byId = new Map<string, Step>()
  for (const raw of list.slice(0, 400)) {
    if (!raw || typeof raw !== 'object') continue
    const row = raw as Record<string, unknown>
    const id = str(row.id, 40)
    const type = str(row.type, 20) as StepType
    const step: Record<string, unknown> = { id, type }
    for (const key of [
      'text',
      'amount',
      'unit',
      'on',
      'key',
      'op',
      'value',
      'label',
      'title',
      'note',
      'sequence_id',
    ]) {
      if (row[key] !== undefined)
        step[key] = key === 'amount' ? Number(str(row[key], 10)) : str(row[key])
    }
    if (type === 'send') {
      const name = str(row.template_name, 512).trim()
      step.template = name
        ? {
            name,
            language: str(row.template_language, 15).trim() || 'en',
            variables: str(row.template_variables)
              .split('\n')
              .map((v) => v.trim())
              .filter(Boolean),
          }
        : null
    }
    if (type === 'wait' && str(row.until_at, 5)) {
      const weekdays = Array.isArray(row.until_weekdays)
        ? row.until_weekdays
        : row.until_weekdays
          ? [row.until_weekdays]
          : []
      step.until = { weekdays, at: str(row.until_at, 5) }
    }
    for (const branch of BRANCHES[type] ?? []) step[branch] = []
    const parent = byId.get(str(row.parent, 40))
    const branch = str(row.branch, 10) as 'then'
    if (parent && (BRANCHES[parent.type] ?? []).includes(branch)) parent[branch]!.push(step as any)
    else top.push(step as any)
    if (id) byId.set(id, step as any)
  }
  return top
}

/** Applies an editor button (`add:<after>:<parent>:<branch>`, `remove:<id>`, `up:<id>`, `down:<id>`). */
export function applyOp(steps: Step[], op: string, newType: string): Step[] {
  const [verb, a = '', b = '', c = ''] = op.split(':')
  if (verb === 'add') {
    const type = (STEP_TYPES as readonly string[]).includes(newType)
      ? (newType as StepType)
      : 'send'
    const step = blankStep(type)
    if (a) {
      const place = walk(steps).find((p) => p.step.id === a)
      if (!place) return steps
      return insertStep(steps, step, {
        parentId: place.parent?.id ?? null,
        branch: place.parent ? branchOf(place.parent, a) : null,
        index: place.index + 1,
      })
    }
    return insertStep(steps, step, {
      parentId: b || null,
      branch: c || null,
      index: b ? 0 : undefined,
    })
  }
  if (verb === 'remove') return removeStep(steps, a)
  if (verb === 'up' || verb === 'down') return moveStep(steps, a, verb)
  return steps
}

function branchOf(parent: Step, childId: string) {
  return (
    (BRANCHES[parent.type] ?? []).find((branch) =>
      (parent[branch] ?? []).some((s) => s.id === childId)
    ) ?? null
  )
}

export interface EditorRow {
  kind: 'step' | 'branch'
  depth: number
  index: number
  step: Step
  parentId: string
  branch: string
  first: boolean
  last: boolean
  number: string
}

/** The tree as the flat rows the form shows: each step, and a header before each branch. */
export function editorRows(steps: Step[]): EditorRow[] {
  const rows: EditorRow[] = []
  let index = 0
  const visit = (
    list: Step[],
    depth: number,
    parent: Step | null,
    branch: string,
    prefix: string
  ) => {
    list.forEach((step, i) => {
      const number = `${prefix}${i + 1}`
      rows.push({
        kind: 'step',
        depth,
        index: index++,
        step,
        parentId: parent?.id ?? '',
        branch,
        first: i === 0,
        last: i === list.length - 1,
        number,
      })
      for (const name of BRANCHES[step.type] ?? []) {
        rows.push({
          kind: 'branch',
          depth: depth + 1,
          index: -1,
          step,
          parentId: step.id,
          branch: name,
          first: false,
          last: false,
          number,
        })
        visit(step[name] ?? [], depth + 1, step, name, `${number}.`)
      }
    })
  }
  visit(steps, 0, null, '', '')
  return rows
}

/** The send steps, in order, with what each would send (for the preview). */
export function sendPreviews(steps: Step[]) {
  return editorRows(steps)
    .filter((row) => row.kind === 'step' && row.step.type === 'send')
    .map((row) => ({
      number: row.number,
      text: row.step.text ?? '',
      template: row.step.template ?? null,
      placeholders: [...new Set((row.step.text ?? '').match(/\{\{\s*[^}]+\s*\}\}/g) ?? [])],
    }))
}
