import { ListLoader } from '@adonisjs/core/ace'
import QueueWork from '#app/queue/queue_work_command'

const loader = new ListLoader([QueueWork])

export const getMetaData = () => loader.getMetaData()
export const getCommand = loader.getCommand.bind(loader)
