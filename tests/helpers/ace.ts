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

/**
 * Runs an Ace command inside the test process, as `node ace` would parse it
 * (the same command classes and flags, the app already started): about a
 * tenth of a second instead of the several seconds a new process takes to
 * boot. What the command logs comes back as stdout and stderr (Ace's raw
 * mode), its exit code as code. For the tests of what a command does; a
 * test of the process itself (exit status, a second process on the embedded
 * database) keeps runAce.
 */
export async function runCommand(args: string[]): Promise<AceResult> {
  const { default: ace } = await import('@adonisjs/core/services/ace')
  if (!booted) {
    await ace.boot()
    ace.ui.switchMode('raw')
    booted = true
  }
  const [name, ...rest] = args
  const command = await ace.exec(name, rest)
  const logs = command.logger.getLogs()
  command.logger.flushLogs()
  const text = (stream: string) =>
    logs
      .filter((line) => line.stream === stream)
      .map((line) => line.message)
      .join('\n')
  const failed = command.exitCode !== 0 && command.exitCode !== undefined
  return {
    code: failed || command.error ? (command.exitCode ?? 1) : 0,
    stdout: text('stdout'),
    stderr: [text('stderr'), command.error ? String(command.error) : ''].filter(Boolean).join('\n'),
  }
}

let booted = false
