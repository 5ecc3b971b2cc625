import { ListLoader } from '@adonisjs/core/ace'
import BrainReembed from './brain_reembed.js'

/**
 * The module's ace commands, registered in adonisrc.ts.
 */
const loader = new ListLoader([BrainReembed])

export const getMetaData = () => loader.getMetaData()
export const getCommand = loader.getCommand.bind(loader)
