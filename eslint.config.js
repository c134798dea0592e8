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
            { group: ['../activities/adapters/*', '../../activities/adapters/*', '../worker/*', '../client/*', '../config/load', '../config'], message: 'Workflows see only types from the activities, never adapters or loaders.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
