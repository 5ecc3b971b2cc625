import { execFile } from 'node:child_process'
import app from '@adonisjs/core/services/app'

export interface AceResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `node ace ...` as a separate process, the way an operator or a script
 * would. In embedded mode the child joins the test process's database
 * through the data directory's lock file.
 */
export function runAce(args: string[], env: Record<string, string> = {}): Promise<AceResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['ace', ...args],
      { cwd: app.makePath(), env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() })
      }
    )
  })
}
