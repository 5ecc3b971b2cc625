'use strict'

const { apiUrl } = require('./lib/api')

/*
| An API key of the workspace (Settings → API keys) and the address of the
| FloMastr it belongs to. The connection test reads GET /me, which says
| whether the key's scopes are enough for this app, and fails naming the
| missing ones: a key that cannot subscribe would otherwise connect fine and
| fail only when a Zap is turned on.
*/

async function test(z, bundle) {
  const response = await z.request({ url: apiUrl(bundle, '/me') })
  const me = response.data
  const zapier = me.integrations && me.integrations.zapier
  if (zapier && !zapier.sufficient) {
    throw new z.errors.Error(
      `This API key lacks scopes the FloMastr app needs: ${zapier.missing_scopes.join(', ')}. ` +
        'Create a key with them in Settings → API keys.',
      'missing_scopes',
      403
    )
  }
  return me
}

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'base_url',
      label: 'FloMastr address',
      type: 'string',
      required: true,
      helpText:
        'The address you open FloMastr at, e.g. `https://app.flomastr.com` or your own server.',
    },
    {
      key: 'api_key',
      label: 'API key',
      type: 'password',
      required: true,
      helpText:
        'From Settings → API keys, with the scopes contacts:write, conversations:read, ' +
        'messages:write, channels:read, templates:read, knowledge:write and webhooks:write.',
    },
  ],
  test,
  connectionLabel: (z, bundle) =>
    `${bundle.inputData.tenant.name} (${bundle.inputData.api_key.name})`,
}
