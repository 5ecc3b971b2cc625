/*
| The super-admin console (/admin): tenants, lifecycle, audit log,
| impersonation. Plans are billing's (modules/billing/routes.ts).
*/
