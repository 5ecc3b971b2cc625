/*
| Event listeners, registered by each module that has some.
*/
import { registerIdentityListeners } from '#modules/identity/index'
import { registerChannelsListeners, registerWebchatListeners } from '#modules/channels/index'
import { registerInboxListeners } from '#modules/inbox/index'
import {
  registerAssistantListeners,
  registerEmbedderListeners,
  registerMemoryListeners,
} from '#modules/brain/index'
import { registerWebhookListeners } from '#modules/integrations/index'
import { registerBillingListeners } from '#modules/billing/index'
import { registerHitlListeners } from '#modules/hitl/index'
import { registerDataEngineListeners } from '#modules/data_engine/index'
import { registerOutreachListeners, registerPulseListeners } from '#modules/pulse/index'
import { registerBookingListeners, registerFlowsListeners } from '#modules/flows/index'

registerIdentityListeners()
registerChannelsListeners()
registerInboxListeners()
registerWebchatListeners()
registerAssistantListeners()
registerMemoryListeners()
registerEmbedderListeners()
registerWebhookListeners()
registerBillingListeners()
registerHitlListeners()
registerDataEngineListeners()
registerPulseListeners()
registerOutreachListeners()
registerBookingListeners()
registerFlowsListeners()
