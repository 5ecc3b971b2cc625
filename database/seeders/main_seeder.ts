import { BaseSeeder } from '@adonisjs/lucid/seeders'
import { seedDemo } from '#database/seeders/demo_seeder'

/**
 * `node ace db:seed`: the same first-run seed `npm run dev` applies.
 */
export default class MainSeeder extends BaseSeeder {
  static environment = ['development', 'test']

  async run() {
    await seedDemo()
  }
}
