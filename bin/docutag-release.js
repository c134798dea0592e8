#!/usr/bin/env node
'use strict';
// The CLI runs from the compiled output: `npm run build` first (the README's commands do it).
// The entry point composes the CLI with the worker, loaded only when `worker` is what runs.
const { runCli } = require('../dist/client/cli.js');
const runWorker = (io, env) => require('../dist/worker/main.js').runWorker(io, env);
runCli(process.argv.slice(2), undefined, process.env, runWorker).then((code) => process.exit(code));
