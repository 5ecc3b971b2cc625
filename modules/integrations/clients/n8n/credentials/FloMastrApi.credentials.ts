import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  INodeProperties,
} from 'n8n-workflow'

/**
 * A FloMastr API key and the address of its FloMastr. n8n's "Test" reads
 * GET /api/v1/me, which answers whether the key's scopes are enough for
 * these nodes; a key that could not subscribe the trigger fails the test
 * instead of the workflow's activation.
 */
export class FloMastrApi implements ICredentialType {
  name = 'floMastrApi'

  displayName = 'FloMastr API'

  documentationUrl = 'https://github.com/flomastr/flomastr#n8n'

  properties: INodeProperties[] = [
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'https://app.flomastr.com',
      placeholder: 'https://app.flomastr.com',
      description: 'The address you open FloMastr at (your own server when self-hosted)',
      required: true,
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description: 'From Settings → API keys',
      required: true,
    },
  ]

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
  }

  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: '/api/v1/me',
    },
    rules: [
      {
        type: 'responseSuccessBody',
        properties: {
          key: 'integrations.n8n.sufficient',
          value: false,
          message:
            'The key lacks scopes these nodes need (see integrations.n8n.missing_scopes of GET /api/v1/me)',
        },
      },
    ],
  }
}
