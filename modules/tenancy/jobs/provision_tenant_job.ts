import { Job } from '@rlanz/bull-queue'
import { runProvisioning } from '../services/console_provisioning.js'

export interface ProvisionTenantPayload {
  tenantId: string
}

/**
 * Provisions a tenant requested from the console. Not a TenantJob: the
 * tenant is not usable until this job has run. The payload is the tenant id;
 * the request (owner e-mail, password hash, who asked) waits in
 * `tenant_provisionings`, and progress and failures are written there.
 */
export default class ProvisionTenantJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  async handle(payload: ProvisionTenantPayload) {
    await runProvisioning(payload.tenantId)
  }

  async rescue(payload: ProvisionTenantPayload, error: Error) {
    this.logger.error({ err: error, tenantId: payload.tenantId }, 'tenant provisioning failed')
  }
}
