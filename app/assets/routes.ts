import router from '@adonisjs/core/services/router'

const VendorAssetsController = () => import('./vendor_assets_controller.js')

router.get('/assets/vendor/:file', [VendorAssetsController]).as('assets.vendor')
