import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

/**
 * Writes `.env` from `.env.example` with a generated APP_KEY when it does not
 * exist, so `npm install && npm run dev` works on a fresh clone. Production
 * processes are configured by their environment and never get a made-up key.
 */
export function ensureDotEnv(appRoot: URL) {
  if (process.env.NODE_ENV === 'production' || process.env.APP_KEY) return
  const target = new URL('.env', appRoot)
  const example = new URL('.env.example', appRoot)
  if (existsSync(target) || !existsSync(example)) return

  const key = randomBytes(32).toString('base64url')
  const contents = readFileSync(example, 'utf8').replace(/^APP_KEY=.*$/m, `APP_KEY=${key}`)
  try {
    writeFileSync(target, contents, { flag: 'wx' })
  } catch (error) {
    // Another process wrote it first; theirs is as good as ours.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}
