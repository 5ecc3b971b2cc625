/**
 * Why a task operation was refused: a code the API answers with, an HTTP
 * status, and fields naming what was wrong (component and field for 422s).
 */
export class TaskError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 422,
    readonly fields: Record<string, string[]> | null = null
  ) {
    super(message)
  }
}

export function fieldsFrom(problems: Array<{ field: string; message: string }>) {
  const fields: Record<string, string[]> = {}
  for (const problem of problems) (fields[problem.field] ??= []).push(problem.message)
  return fields
}

export const taskNotFound = () => new TaskError('not_found', 'No such task', 404)
export const alreadyResolved = (status: string) =>
  new TaskError('task_already_resolved', `This task is already ${status}`, 409)
