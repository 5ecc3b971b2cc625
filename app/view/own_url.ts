import env from '#start/env'

/*
| Addresses our own app wrote with its public base (APP_URL), e.g. a task's
| document and its page images, stored whole for API clients. A page shows
| them as paths, so they load from whichever host served the page (and stay
| inside the Content Security Policy's 'self'); other addresses are kept.
*/

const ownOrigin = (() => {
  try {
    return new URL(env.get('APP_URL', 'http://localhost:3333')).origin
  } catch {
    return null
  }
})()

export function ownUrl(address: unknown): string {
  if (typeof address !== 'string') return ''
  if (!ownOrigin || !address.startsWith(ownOrigin + '/')) return address
  return address.slice(ownOrigin.length)
}
