import { ListLoader } from '@adonisjs/core/ace'
import { ChannelsAddSandbox, ChannelsAddWhatsApp } from './channels_add.js'

/**
 * The module's ace commands, registered in adonisrc.ts.
 */
const loader = new ListLoader([ChannelsAddWhatsApp, ChannelsAddSandbox])

export const getMetaData = () => loader.getMetaData()
export const getCommand = loader.getCommand.bind(loader)
