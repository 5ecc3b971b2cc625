import { ListLoader } from '@adonisjs/core/ace'
import { ChannelsAddSandbox, ChannelsAddWhatsApp, ChannelsSyncTemplates } from './channels_add.js'

/**
 * The module's ace commands, registered in adonisrc.ts.
 */
const loader = new ListLoader([ChannelsAddWhatsApp, ChannelsAddSandbox, ChannelsSyncTemplates])

export const getMetaData = () => loader.getMetaData()
export const getCommand = loader.getCommand.bind(loader)
