/*
| Form plumbing shared by every module's forms lives in app/http/form_errors;
| how a request reads htmx's headers, in app/http/htmx.
*/
export { fieldError, keepInput, validatedOrBack } from '#app/http/form_errors'
export { wantsFragment } from '#app/http/htmx'
