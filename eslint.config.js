// ESLint for the whole repository: typescript-eslint's type-checked rules (recommended, plus the
// strict ones that catch real bugs: floating promises, misused promises, unsafe any).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'apps/web/dist/**', 'bench/results/**', 'test-results/**', '.data/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Deliberately discarded promises are written `void promise`.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Style, not bugs: kept off so the lint stays about what breaks at run time.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // media-client's DOM additions are a global declaration file.
      '@typescript-eslint/triple-slash-reference': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      // Closures that read a variable before its one assignment are fine.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Input validation matches control characters on purpose.
      'no-control-regex': 'off',
      // Fastify handlers and interface implementations are async without awaiting: not a bug.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests, benchmarks and tools read untyped JSON answers and drive processes: the unsafe-any
    // rules would only add casts there. Source code keeps them.
    files: ['**/*.test.ts', '**/test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // React components take callbacks from props and hooks; none of them uses `this`.
    files: ['apps/web/**/*.tsx', 'apps/web/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
);
