'use strict'

/*
| The app definition checked against Zapier's schema, as `zapier validate`
| does before a push: prints each problem and fails when there is one.
| The test suite runs the same check.
*/
const { compileApp, validateApp } = require('zapier-platform-core/src/tools/schema')
const app = require('./index')

const errors = validateApp(compileApp(app))
for (const error of errors) console.error(`${error.property}: ${error.message}`)
if (errors.length) process.exit(1)
console.log(`The app definition is valid (zapier-platform-core ${app.platformVersion}).`)
