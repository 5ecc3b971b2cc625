/*
| Billing's routes: plans in the super-admin console.
*/
