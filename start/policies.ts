/*
| Bouncer policies by name, for `ctx.bouncer.with('WorkspacePolicy')`.
| Each module exports its own; this file only gathers them. Importing every
| module's index here (a preload) also registers each module's rows of the
| role matrix (its permissions.ts) before the first request asks can().
*/
import '#modules/tenancy/index'
import '#modules/billing/index'
import { identityPolicies } from '#modules/identity/index'
import { channelsPolicies } from '#modules/channels/index'
import { inboxPolicies } from '#modules/inbox/index'
import { integrationsPolicies } from '#modules/integrations/index'
import { brainPolicies } from '#modules/brain/index'
import { hitlPolicies } from '#modules/hitl/index'
import { dataEnginePolicies } from '#modules/data_engine/index'
import { pulsePolicies } from '#modules/pulse/index'
import { bookingPolicies, flowsPolicies } from '#modules/flows/index'

export const policies = {
  ...identityPolicies,
  ...channelsPolicies,
  ...inboxPolicies,
  ...integrationsPolicies,
  ...brainPolicies,
  ...hitlPolicies,
  ...dataEnginePolicies,
  ...pulsePolicies,
  ...bookingPolicies,
  ...flowsPolicies,
}
