#!/usr/bin/env node
'use strict';
// The CLI runs from the compiled output: `npm run build` first (the README's commands do it).
const { runCli } = require('../dist/client/cli.js');
runCli(process.argv.slice(2)).then((code) => process.exit(code));
