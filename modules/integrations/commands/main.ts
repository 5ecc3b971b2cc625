import { ListLoader } from '@adonisjs/core/ace'
import { ApiKeysCreate } from './apikeys_create.js'

/**
 * The module's ace commands, registered in adonisrc.ts.
 */
const loader = new ListLoader([ApiKeysCreate])

export const getMetaData = () => loader.getMetaData()
export const getCommand = loader.getCommand.bind(loader)
