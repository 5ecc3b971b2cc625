'use strict'

/*
| How every request of the app reaches FloMastr: the workspace's own
| address (self-hosted installs differ), the key as a bearer token, and the
| API's own error message when a request fails, so a Zap's error says
| "The phone number must be in international form" rather than "422".
*/

/** The address of an API path on the connected FloMastr. */
function apiUrl(bundle, path) {
  const base = String(bundle.authData.base_url || '')
    .trim()
    .replace(/\/+$/, '')
  return `${base}/api/v1${path}`
}

function addApiKey(request, z, bundle) {
  request.headers = request.headers || {}
  if (bundle.authData && bundle.authData.api_key) {
    request.headers.Authorization = `Bearer ${bundle.authData.api_key}`
  }
  request.headers.Accept = 'application/json'
  return request
}

function parsed(response) {
  try {
    return response.data !== undefined ? response.data : JSON.parse(response.content)
  } catch {
    return null
  }
}

/** Raises the API's `{error: {code, message, fields}}` as the Zap's error. */
function raiseApiErrors(response, z) {
  if (response.status < 400) return response
  const error = (parsed(response) || {}).error
  if (!error) return response
  const fields = error.fields
    ? Object.entries(error.fields)
        .map(([field, messages]) => `${field}: ${[].concat(messages).join(', ')}`)
        .join('; ')
    : ''
  const message = fields ? `${error.message} (${fields})` : error.message
  if (response.status === 401) throw new z.errors.ExpiredAuthError(message)
  throw new z.errors.Error(message, error.code, response.status)
}

/** A list answer is `{data, next_cursor}`: a search returns its `data`. */
function listOf(response) {
  return response.data.data
}

module.exports = { apiUrl, addApiKey, raiseApiErrors, listOf }
