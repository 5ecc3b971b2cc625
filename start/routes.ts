/*
| Routes live with their modules; this file only gathers them.
*/
import '#app/health/routes'
import '#app/assets/routes'
import '#modules/identity/routes'
import '#modules/tenancy/routes'
import '#modules/billing/routes'
import '#modules/channels/workspace_routes'
import '#modules/channels/routes'
import '#modules/channels/live_routes'
import '#modules/channels/webchat_routes'
import '#modules/channels/assignment_routes'
import '#modules/channels/inbox_routes'
import '#modules/channels/composer_routes'
import '#modules/channels/template_routes'
import '#modules/channels/sandbox_routes'
import '#modules/channels/media_routes'
