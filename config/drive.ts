import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, services } from '@adonisjs/drive'
import type { InferDriveDisks } from '@adonisjs/drive/types'

/**
 * Files tenants own (WhatsApp media fetched from Meta, later uploads). On a
 * local disk under MEDIA_DIR, private: served only through the app, which
 * checks the tenant and the person. Several web or worker machines need
 * MEDIA_DIR on shared storage.
 */
const driveConfig = defineConfig({
  default: 'media',
  services: {
    media: services.fs({
      location: app.makePath(env.get('MEDIA_DIR', 'tmp/media')),
      serveFiles: false,
      visibility: 'private',
    }),
  },
})

export default driveConfig

declare module '@adonisjs/drive/types' {
  export interface DriveDisks extends InferDriveDisks<typeof driveConfig> {}
}
