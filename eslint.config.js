// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `process` is Node's global: a domain value by that name would shadow it.
      'no-restricted-syntax': [
        'error',
        ...[
          'VariableDeclarator > Identifier.id',
          ':function > Identifier.params',
          'ImportSpecifier > Identifier.local',
        ].map((selector) => ({
          selector: `${selector}[name='process']`,
          message: "Don't shadow Node's `process`; name the domain value for what it is.",
        })),
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O modules,
    // and activities only as types (called through proxyActivities).
    files: ['src/workflows/**/*.ts', 'src/webhooks/notifier.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows must not use Node builtins.' })),
            { name: '@temporalio/client', message: 'Workflows must not use the client.' },
            { name: '@temporalio/worker', message: 'Workflows must not use the worker.' },
            { name: '@temporalio/activity', message: 'Workflows must not use the activity API.' },
          ],
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/api/**',
                '**/auth/**',
                '**/config',
                '**/gateway/**',
                '**/kinds/**',
                '**/artifacts/**',
                '**/crypto/**',
                '**/webhooks/delivery',
                '**/webhooks/http-post',
                '**/webhooks/signing',
                '**/webhooks/callback-policy',
                // zod schemas: workflows need only the types inferred from them.
                '**/contract/resources',
              ],
              allowTypeImports: true,
              message:
                'Workflow code may import worker, API and schema modules as types only (they use Node or weigh down the bundle).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require'],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
