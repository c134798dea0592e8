#!/usr/bin/env node
'use strict';
/*
 * A helm stand-in for adapter and workflow tests: it speaks helm's command line (the subset the
 * HelmDeployer uses), keeps releases in $FAKE_HELM_DIR/state.json, appends every call to
 * calls.jsonl, and fails a call when failures.json has a rule "<action> <release>": "<stderr>".
 */
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.FAKE_HELM_DIR;
if (!dir) {
  process.stderr.write('FAKE_HELM_DIR is not set\n');
  process.exit(1);
}
const argv = process.argv.slice(2);
const read = (file, fallback) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch {
    return fallback;
  }
};
const writeState = (state) => {
  const tmp = path.join(dir, `state.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, path.join(dir, 'state.json'));
};
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const positional = argv.filter((arg, i) => !arg.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--') && !['--install', '--wait', '--all'].includes(argv[i - 1])));
const [command, ...rest] = positional;
const action = command === 'get' ? `get ${rest[0]}` : command;
const release = command === 'get' ? rest[1] : rest[0];
const namespace = flag('--namespace') || 'default';
/** Deep merge, as helm merges values files (maps merge, anything else is replaced). */
const merge = (into, from) => {
  for (const [k, v] of Object.entries(from)) {
    into[k] = v && typeof v === 'object' && !Array.isArray(v) && into[k] && typeof into[k] === 'object' ? merge({ ...into[k] }, v) : v;
  }
  return into;
};
/** The values of `--values` files that exist and hold JSON (the deployer's per-call file; the config's files are not there in tests). */
const valuesFromFiles = () =>
  argv.reduce((values, arg, i) => {
    if (arg !== '--values' || !argv[i + 1]) return values;
    try {
      return merge(values, JSON.parse(fs.readFileSync(argv[i + 1], 'utf8')));
    } catch {
      return values;
    }
  }, {});
const fileValues = valuesFromFiles();
fs.appendFileSync(path.join(dir, 'calls.jsonl'), `${JSON.stringify({ action, release, namespace, args: argv, values: fileValues, at: Date.now() })}\n`);

const failures = read('failures.json', {});
const rule = failures[`${action} ${release}`];
if (rule) {
  process.stderr.write(`Error: ${rule}\n`);
  process.exit(1);
}
// A slow call (delays.json) waits before it takes the lock and reads the state: it holds up nobody
// else's release, and it answers from the state as it is when it ends.
const delay = Number(read('delays.json', {})[`${action} ${release}`] || 0);
if (delay) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);

// Releases run side by side (the fault suite runs 20 at once): a mutating call holds a lock from
// reading state.json to writing it back, so no call loses another's change.
if (['upgrade', 'rollback', 'uninstall'].includes(command)) lockState();
const state = read('state.json', { releases: {} });
const key = `${namespace}/${release}`;
const current = state.releases[key];
const setValue = (values, dotted, value) => {
  const keys = dotted.split('.');
  let node = values;
  for (const k of keys.slice(0, -1)) node = node[k] = node[k] || {};
  node[keys[keys.length - 1]] = value;
};

(() => {
  switch (command) {
    case 'status':
      if (!current) return fail(`release: not found`);
      return out({ name: release, namespace, version: current.revision, info: { status: current.status } });
    case 'get': {
      if (!current) return fail(`release: not found`);
      // `--revision N`: that revision's values, as helm keeps them per revision.
      const at = argv.indexOf('--revision');
      if (at < 0) return out(current.values);
      const entry = current.history.find((h) => h.revision === Number(argv[at + 1]));
      return entry ? out(entry.values ?? current.values) : fail(`release: revision ${argv[at + 1]} not found`);
    }
    case 'history':
      if (!current) return fail(`release: not found`);
      return out(current.history.map((h) => ({ revision: h.revision, status: h.status, app_version: h.version, description: h.description })));
    case 'upgrade': {
      if (!current && !argv.includes('--install')) return fail(`"${release}" has no deployed releases`);
      const values = merge({}, fileValues);
      argv.forEach((arg, i) => {
        if ((arg === '--set-string' || arg === '--set') && argv[i + 1]) {
          const [k, ...v] = argv[i + 1].split('=');
          setValue(values, k, v.join('='));
        }
      });
      const revision = current ? current.revision + 1 : 1;
      const history = current ? current.history.map((h) => ({ ...h, status: 'superseded' })) : [];
      history.push({ revision, status: 'deployed', values, description: current ? 'Upgrade complete' : 'Install complete' });
      state.releases[key] = { revision, status: 'deployed', values, history };
      writeState(state);
      return process.stdout.write(`Release "${release}" has been upgraded. Happy Helming!\nREVISION: ${revision}\n`);
    }
    case 'test':
      if (!current) return fail(`release: not found`);
      return process.stdout.write(`NAME: ${release}\nPhase: Succeeded\n`);
    case 'rollback': {
      if (!current) return fail(`release: not found`);
      const target = current.history.find((h) => h.revision === Number(rest[1]));
      if (!target) return fail(`release: revision ${rest[1]} not found`);
      const revision = current.revision + 1;
      const history = current.history.map((h) => ({ ...h, status: 'superseded' }));
      history.push({ revision, status: 'deployed', values: target.values, description: `Rollback to ${rest[1]}` });
      state.releases[key] = { revision, status: 'deployed', values: target.values, history };
      writeState(state);
      return process.stdout.write('Rollback was a success! Happy Helming!\n');
    }
    case 'uninstall':
      if (!current) return fail(`uninstall: Release not loaded: ${release}: release: not found`);
      delete state.releases[key];
      writeState(state);
      return process.stdout.write(`release "${release}" uninstalled\n`);
    default:
      return fail(`unknown command "${command}" for "helm"`);
  }
})();

function out(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
function fail(message) {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
}
function lockState() {
  const lock = path.join(dir, 'state.lock');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      fs.mkdirSync(lock);
      process.on('exit', () => fs.rmSync(lock, { recursive: true, force: true }));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A holder that died (killed mid-call) leaves the lock behind: take it over after 10 s.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 10000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      Atomics.wait(pause, 0, 0, 5 + (attempt % 10));
    }
  }
}
