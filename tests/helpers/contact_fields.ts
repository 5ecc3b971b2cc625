import { ContactField, type ContactFieldType } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'

export interface FieldSpec {
  key: string
  type?: ContactFieldType
  label?: string
  required?: boolean
  choices?: string[]
}

/** Defines custom contact fields in a workspace, as its settings page would. */
export function defineContactFields(context: TenantContext, specs: FieldSpec[]) {
  return context.transaction(async (trx) => {
    const made: ContactField[] = []
    for (const [position, spec] of specs.entries()) {
      made.push(
        await ContactField.create(
          {
            key: spec.key,
            label: spec.label ?? spec.key,
            type: spec.type ?? 'text',
            required: spec.required ?? false,
            choices: spec.choices ?? [],
            position,
          },
          { client: trx }
        )
      )
    }
    return made
  })
}
