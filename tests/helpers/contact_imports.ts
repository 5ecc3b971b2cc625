import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TenantContext } from '#modules/tenancy/index'
import {
  runContactImport,
  startContactImport,
  uploadContactImport,
  type ImportOptions,
} from '#modules/inbox/index'

/** A CSV from rows of cells, quoted where needed. */
export function csvOf(rows: string[][], separator = ',') {
  return rows
    .map((row) =>
      row
        .map((cell) => (/[",;\n\t]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell))
        .join(separator)
    )
    .join('\n')
}

/** The file written where an upload would land, ready for uploadContactImport. */
export async function csvFile(text: string, name = 'contacts.csv') {
  const dir = await mkdtemp(join(tmpdir(), 'contact-import-'))
  const path = join(dir, name)
  await writeFile(path, text)
  return { path, fileName: name }
}

/** Upload, map (the guess unless given) and run the import in this process, as the job would. */
export async function importCsv(context: TenantContext, text: string, options: ImportOptions = {}) {
  const uploaded = await uploadContactImport(context, await csvFile(text), null)
  await startContactImport(context, uploaded.id, options)
  return (await runContactImport(context, uploaded.id))!
}
