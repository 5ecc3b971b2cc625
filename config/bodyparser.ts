import { defineConfig } from '@adonisjs/core/bodyparser'

const bodyParserConfig = defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  form: {
    convertEmptyStringsToNull: true,
    types: ['application/x-www-form-urlencoded'],
  },
  // Bodies nested deeper than 32 levels are refused by our wrapper of this
  // parser (app/middleware/body_parser_middleware.ts), before anything reads them.
  json: {
    convertEmptyStringsToNull: true,
    limit: '1mb',
    types: [
      'application/json',
      'application/json-patch+json',
      'application/vnd.api+json',
      'application/csp-report',
    ],
  },
  multipart: {
    autoProcess: true,
    convertEmptyStringsToNull: true,
    processManually: [],
    // WhatsApp takes documents up to 100 MB; the composer checks each kind's own limit.
    limit: '101mb',
    types: ['multipart/form-data'],
  },
})

export default bodyParserConfig
