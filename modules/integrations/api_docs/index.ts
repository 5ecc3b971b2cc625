/*
| The OpenAPI descriptions of the integrations module's /api/v1 routes,
| loaded by routes.ts so they exist whenever the routes do.
*/
import './schemas.js'
import './contacts.js'
import './conversations.js'
import './messages.js'
import './account.js'
import './tags.js'
import './segments.js'
