import router from '@adonisjs/core/services/router'
import app from '@adonisjs/core/services/app'
import { middleware } from '#start/kernel'
import { tenantRoutes } from '#modules/tenancy/index'
import { homePathFor } from './services/home_path.js'

const SessionController = () => import('./controllers/session_controller.js')
const PasswordResetController = () => import('./controllers/password_reset_controller.js')
const ProfileController = () => import('./controllers/profile_controller.js')
const LocaleController = () => import('./controllers/locale_controller.js')
const DevMailboxController = () => import('./controllers/dev_mailbox_controller.js')
const TeamController = () => import('./controllers/team_controller.js')
const InvitationsController = () => import('./controllers/invitations_controller.js')
const AvailabilityController = () => import('./controllers/availability_controller.js')

router.get('/', async ({ auth, response }) => {
  if (await auth.check()) return response.redirect(await homePathFor(auth.user!))
  return response.redirect('/login')
})

router
  .group(() => {
    router.get('/login', [SessionController, 'create']).as('login')
    router.post('/login', [SessionController, 'store']).as('login.store')
    router.get('/forgot-password', [PasswordResetController, 'create']).as('password.forgot')
    router.post('/forgot-password', [PasswordResetController, 'store']).as('password.email')
  })
  .use(middleware.guest())

// Reachable signed in or not: a link from an e-mail opens wherever it is clicked.
router.get('/reset-password/:token', [PasswordResetController, 'edit']).as('password.reset')
router.post('/reset-password/:token', [PasswordResetController, 'update']).as('password.update')
router.get('/locale/:locale', [LocaleController]).as('locale')
router.get('/invitations/:token', [InvitationsController, 'show']).as('invitations.show')
router.post('/invitations/:token', [InvitationsController, 'accept']).as('invitations.accept')
router
  .post('/invitations/:token/switch-account', [InvitationsController, 'switchAccount'])
  .as('invitations.switch_account')

// A workspace's team: members, invitations, roles.
tenantRoutes(() => {
  router
    .group(() => {
      router.get('/team', [TeamController, 'index']).as('team')
      router.post('/team/invitations', [TeamController, 'invite']).as('team.invite')
      router
        .post('/team/invitations/:id/resend', [TeamController, 'resend'])
        .as('team.invitations.resend')
      router
        .post('/team/invitations/:id/revoke', [TeamController, 'revoke'])
        .as('team.invitations.revoke')
      router.post('/team/members/:id/role', [TeamController, 'changeRole']).as('team.members.role')
      router.post('/team/members/:id/remove', [TeamController, 'remove']).as('team.members.remove')
      router.post('/team/members/:id/phone', [TeamController, 'phone']).as('team.members.phone')
      router.post('/availability', [AvailabilityController]).as('availability')
    })
    .use([middleware.auth(), middleware.workspace()])
})

router
  .group(() => {
    router.post('/logout', [SessionController, 'destroy']).as('logout')
    router.get('/account/profile', [ProfileController, 'show']).as('account.profile')
    router.post('/account/profile', [ProfileController, 'update']).as('account.profile.update')
    router
      .post('/account/password', [ProfileController, 'updatePassword'])
      .as('account.password.update')
    router.get('/account/switch', [ProfileController, 'switchWorkspace']).as('account.switch')
  })
  .use(middleware.auth())

if (!app.inProduction) {
  router.get('/dev/mailbox', [DevMailboxController, 'index']).as('dev.mailbox')
  router.get('/dev/mailbox/:id', [DevMailboxController, 'show']).as('dev.mailbox.show')
}
