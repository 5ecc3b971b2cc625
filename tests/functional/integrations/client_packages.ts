import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'

/*
| The ready-made integrations (modules/integrations/clients/*) are packages
| of their own, never dependencies of the app: the suite installs each one's
| dependencies from its own lock file, and builds it when it has a build,
| only when what is there is missing or stale (a stamp of the inputs is
| kept beside the output), so a warm run pays nothing.
*/

const run = promisify(execFile)

export type ClientName = 'zapier' | 'n8n'

export function clientDir(name: ClientName) {
  return app.makePath('modules/integrations/clients', name)
}

/** A hash of the files (and folders, recursively) given, in a stable order. */
function fingerprint(dir: string, entries: string[]) {
  const hash = createHash('sha256')
  const add = (path: string) => {
    if (!existsSync(path)) return
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) add(join(path, entry))
    } else {
      hash.update(path).update(readFileSync(path))
    }
  }
  for (const entry of entries) add(join(dir, entry))
  return hash.digest('hex')
}

/** Runs `step` unless `stampFile` holds the fingerprint of `inputs`; then records it. */
async function unlessFresh(
  dir: string,
  inputs: string[],
  stampFile: string,
  step: () => Promise<unknown>
) {
  const stamp = fingerprint(dir, inputs)
  const path = join(dir, stampFile)
  if (existsSync(path) && readFileSync(path, 'utf8') === stamp) return
  await step()
  writeFileSync(path, stamp)
}

/**
 * The client ready to load: dependencies installed (`npm install`, which
 * keeps to the committed lock file) and, for the n8n package, compiled.
 * Returns a require() rooted in the client's folder.
 */
export async function readyClient(name: ClientName) {
  const dir = clientDir(name)
  const npm = (...args: string[]) =>
    run('npm', args, { cwd: dir, env: { ...process.env, NODE_ENV: 'development' } })
  await unlessFresh(
    dir,
    ['package.json', 'package-lock.json', '.npmrc'],
    'node_modules/.flomastr-installed',
    () => npm('install', '--no-audit', '--no-fund')
  )
  if (name === 'n8n') {
    await unlessFresh(
      dir,
      ['package.json', 'tsconfig.json', 'credentials', 'nodes', 'lib'],
      'node_modules/.flomastr-built',
      () => npm('run', 'build')
    )
  }
  return createRequire(join(dir, 'package.json'))
}
