import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import app from '@adonisjs/core/services/app'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject()
      )
    })
  })
}

export interface ServerProcess {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
  stop: () => Promise<number | null>
}

/**
 * Starts `bin/server.ts` as production would start `bin/server.js`, with
 * the given environment (APP_ROLE, PORT, REDIS_URL).
 */
export function startServerProcess(env: Record<string, string>): ServerProcess {
  const child = spawn(
    process.execPath,
    [
      '--import=ts-node-maintained/register/esm',
      '--disable-warning=ExperimentalWarning',
      'bin/server.ts',
    ],
    { cwd: app.makePath(), env: { ...process.env, ...env, NO_COLOR: '1' } }
  )
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  )
  return {
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
