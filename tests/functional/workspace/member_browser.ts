import { request as httpRequest } from 'node:http'
import { WebSession } from '#tests/helpers/web_session'
import { TEST_PASSWORD } from '#tests/helpers/users'

/*
| Signed-in browsers for workspace tests. The session store is the central
| database, which Japa's `loginAs` (it writes a memory-store session) does
| not reach, so these sign in through the real form and keep the cookies.
*/

let octet = 1

export async function signIn(user: { email: string }, headers: Record<string, string> = {}) {
  const web = new WebSession({
    'X-Forwarded-For': `203.0.113.${(octet++ % 250) + 1}`,
    ...headers,
  })
  const result = await web.submit('/login', '/login', {
    email: user.email,
    password: TEST_PASSWORD,
  })
  if (result.status !== 302 || result.location === '/login') {
    throw new Error(`could not sign in ${user.email}: ${result.status} ${result.location}`)
  }
  return web
}

export function anonymous() {
  return new WebSession({ 'X-Forwarded-For': `203.0.113.${(octet++ % 250) + 1}` })
}

export interface UploadFile {
  field: string
  name: string
  type: string
  bytes: Buffer
}

/**
 * Posts a multipart form (a file upload) as the page at `from` would, with
 * the session's cookies and that page's CSRF token.
 */
export async function postMultipart(
  web: WebSession,
  from: string,
  action: string,
  fields: Record<string, string>,
  file?: UploadFile
) {
  const page = await web.get(from)
  const csrf = page.body.match(/name='_csrf' value='([^']+)'/)?.[1] ?? ''
  const form = new FormData()
  form.append('_csrf', csrf)
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  if (file) {
    form.append(file.field, new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name)
  }
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${action}`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { cookie },
  })
  return {
    status: response.status,
    location: response.headers.get('location'),
    body: await response.text(),
  }
}

/**
 * A GET with the session's cookies and another Host header (fetch will not
 * send one), for the `<slug>.<APP_DOMAIN>` variant of workspace routes.
 */
export function getOnHost(web: WebSession, path: string, host: string) {
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const base = new URL(WebSession.baseUrl())
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(
      { hostname: base.hostname, port: base.port, path, headers: { host, cookie } },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      }
    )
    request.on('error', reject)
    request.end()
  })
}
