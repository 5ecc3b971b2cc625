import { ListLoader } from '@adonisjs/core/ace'
import QueueWork from './queue_work_command.js'

const loader = new ListLoader([QueueWork])

export const getMetaData = () => loader.getMetaData()
export const getCommand = loader.getCommand.bind(loader)
