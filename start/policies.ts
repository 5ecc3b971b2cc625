/*
| Bouncer policies by name, for `ctx.bouncer.with('WorkspacePolicy')`.
| Each module exports its own; this file only gathers them.
*/
import { identityPolicies } from '#modules/identity/index'
import { channelsPolicies } from '#modules/channels/index'
import { integrationsPolicies } from '#modules/integrations/index'
import { brainPolicies } from '#modules/brain/index'
import { dataEnginePolicies } from '#modules/data_engine/index'

export const policies = {
  ...identityPolicies,
  ...channelsPolicies,
  ...integrationsPolicies,
  ...brainPolicies,
  ...dataEnginePolicies,
}
