import type {
  IDataObject,
  IHookFunctions,
  INodeType,
  INodeTypeDescription,
  IWebhookFunctions,
  IWebhookResponseData,
} from 'n8n-workflow'
import { NodeConnectionTypes } from 'n8n-workflow'
import { apiRequest, CREDENTIAL } from '../../lib/api'
import { EVENTS } from '../../lib/events'
import { SIGNATURE_HEADER, signatureIsValid } from '../../lib/signature'

/**
 * Starts a workflow on a FloMastr event. Activating the workflow subscribes
 * its webhook URL through FloMastr's REST hooks (the hook's id and signing
 * secret are kept in the workflow's static data); deactivating deletes the
 * hook. Each delivery's signature is checked here before anything runs,
 * and a delivery that fails the check is answered 401 (FloMastr logs it as
 * failed and retries) rather than the 200 n8n would give before verifying.
 */
export class FloMastrTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'FloMastr Trigger',
    name: 'floMastrTrigger',
    icon: 'file:flomastr.svg',
    group: ['trigger'],
    version: 1,
    subtitle: '={{$parameter["event"]}}',
    description: 'Starts the workflow when something happens in FloMastr',
    defaults: { name: 'FloMastr Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: CREDENTIAL, required: true }],
    webhooks: [
      { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' },
    ],
    properties: [
      {
        displayName: 'Event',
        name: 'event',
        type: 'options',
        options: EVENTS,
        default: 'message.received',
        required: true,
        description: 'The event that starts the workflow',
      },
    ],
  }

  webhookMethods = {
    default: {
      async checkExists(this: IHookFunctions): Promise<boolean> {
        const hook = this.getWorkflowStaticData('node')
        if (typeof hook.hookId !== 'string') return false
        const { status, body } = await apiRequest(this, {
          method: 'GET',
          path: `/webhooks/${encodeURIComponent(hook.hookId)}`,
          accept: [404],
        })
        const event = this.getNodeParameter('event') as string
        const same =
          status === 200 &&
          body?.url === this.getNodeWebhookUrl('default') &&
          (body?.events as string[] | undefined)?.includes(event) &&
          body?.active === true
        if (!same) {
          // Gone, turned off, or for another event: subscribe anew.
          if (status === 200) await deleteHook(this, hook.hookId)
          forget(hook)
        }
        return !!same
      },

      async create(this: IHookFunctions): Promise<boolean> {
        const { body } = await apiRequest(this, {
          method: 'POST',
          path: '/hooks',
          body: {
            target_url: this.getNodeWebhookUrl('default') as string,
            event: this.getNodeParameter('event') as string,
          },
        })
        const hook = this.getWorkflowStaticData('node')
        hook.hookId = body?.id
        hook.secret = body?.secret
        return true
      },

      async delete(this: IHookFunctions): Promise<boolean> {
        const hook = this.getWorkflowStaticData('node')
        if (typeof hook.hookId === 'string') await deleteHook(this, hook.hookId)
        forget(hook)
        return true
      },
    },
  }

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const hook = this.getWorkflowStaticData('node')
    const request = this.getRequestObject() as { rawBody?: Buffer }
    const body = this.getBodyData()
    // n8n keeps the bytes as received; the re-serialized JSON is the same
    // text for what FloMastr sends (JSON.stringify output), a fallback only.
    const raw = request.rawBody ? request.rawBody.toString('utf8') : JSON.stringify(body)
    const header = this.getHeaderData()[SIGNATURE_HEADER] as string | undefined
    if (!signatureIsValid(String(hook.secret ?? ''), header, raw)) {
      const response = this.getResponseObject()
      response.status(401).json({
        error: { code: 'invalid_signature', message: 'The FloMastr signature does not match' },
      })
      return { noWebhookResponse: true }
    }
    return { workflowData: [[{ json: body as IDataObject }]] }
  }
}

/** Deletes the hook; FloMastr answers 200 also when it is already gone. */
async function deleteHook(context: IHookFunctions, id: string) {
  await apiRequest(context, {
    method: 'DELETE',
    path: `/hooks/${encodeURIComponent(id)}`,
    accept: [404],
  })
}

function forget(hook: IDataObject) {
  delete hook.hookId
  delete hook.secret
}
