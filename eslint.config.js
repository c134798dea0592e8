// @ts-check
const tseslint = require('typescript-eslint');

/** Node built-ins and adapter libraries have no place in deterministic workflow code. */
const workflowForbidden = [
  'node:*', 'fs', 'path', 'os', 'child_process', 'http', 'https', 'net', 'crypto', 'util', 'stream', 'events', 'process',
  'axios', '@kubernetes/client-node', 'yaml', 'commander', 'zod', '@temporalio/client', '@temporalio/worker', '@temporalio/activity',
];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.data/**', 'coverage/**', 'test/support/fake-helm.js', 'bench/results/**', 'bench/dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Plain CommonJS files: the bin entry point, configs, jest plugins, the demo app.
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: workflowForbidden, message: 'Workflow code must be deterministic: do I/O in an activity (src/activities) and pass facts in.', allowTypeImports: true },
            { group: ['../activities/adapters/*', '../../activities/adapters/*', '../targets/**', '../worker/*', '../client/*', '../config/load', '../config'], message: 'Workflows see only types from the activities, never adapters or loaders.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // The pure domain: decisions that every layer may use, so it uses none of them (types included).
    files: ['src/workflows/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*', '../**', '@temporalio/*', ...workflowForbidden], message: 'src/workflows/domain imports nothing from outside itself: move what it needs into the domain (and re-export it from where it was).' },
          ],
        },
      ],
    },
  },
  {
    // Activities speak to ports; the targets implement them (src/worker/adapters.ts picks one), never the other way round.
    files: ['src/activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/targets/**', '**/worker/*', '**/client/*'], message: 'src/activities does not import a target, the worker or the CLI: put what both need in src/activities (a port) or src/support.' }] },
      ],
    },
  },
  {
    // A target is adapters on ports: it reads what the worker hands it, never the worker or the CLI.
    files: ['src/targets/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/worker/*', '**/worker', '**/client/*', '**/demo/*', '@temporalio/worker'], message: 'src/targets does not import the worker, the CLI or the demo: take what is needed as an argument (see KubernetesTargetEnv).' }] },
      ],
    },
  },
  {
    // The CLI talks to Temporal; it never loads the worker (bin/docutag-release.js hands it the `worker` command).
    files: ['src/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/worker/*', '**/worker', '@temporalio/worker'], message: 'src/client does not import src/worker: share code through src/temporal, src/config or src/workflows.' }] },
      ],
    },
  },
);
