/*
| Routes live with their modules; this file only gathers them.
*/
import '#app/health/routes'
import '#modules/tenancy/routes'
