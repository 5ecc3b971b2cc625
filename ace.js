/*
| JavaScript entrypoint for ace commands. It registers the TypeScript hook so
| commands run straight from source, then hands over to bin/console.ts.
*/
import 'ts-node-maintained/register/esm'

await import('./bin/console.js')
