/*
| Event listeners, registered by each module that has some.
*/
import { registerIdentityListeners } from '#modules/identity/index'
import { registerChannelsListeners, registerWebchatListeners } from '#modules/channels/index'

registerIdentityListeners()
registerChannelsListeners()
registerWebchatListeners()
