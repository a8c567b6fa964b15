// Lint rules, including CONVENTIONS' dependency direction:
// lib ← db ← directory ← {scim, saml, csv} ← http ← app/container/main.
// express only in http/ and */router.ts (+ handlers/); @node-saml and passport only in saml/; csv-* only in csv/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const dirs = (...names) => names.flatMap((d) => [`**/${d}/*`, `**/${d}/**`]);
const routerFiles = ['**/router.ts', '**/handlers/**'];

const rule = (group, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group, message }] }],
});

const layer = (folder, forbidden, message, { express = false } = {}) => {
  const files = [`src/${folder}/**/*.ts`];
  if (express) return [{ files, rules: rule(forbidden, message) }];
  return [
    { files, ignores: routerFiles, rules: rule([...forbidden, 'express'], message) },
    { files: routerFiles.map((f) => `src/${folder}/${f}`), rules: rule(forbidden, message) },
  ];
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.node/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  ...layer('lib', [...dirs('db', 'directory', 'scim', 'saml', 'csv', 'http'), '@mikro-orm/*', 'csv-*', '@node-saml/*', 'passport*'], 'lib/ is framework-free and imports no other layer'),
  ...layer('db', [...dirs('directory', 'scim', 'saml', 'csv', 'http'), 'csv-*', '@node-saml/*', 'passport*'], 'db/ depends only on lib/'),
  ...layer('directory', [...dirs('scim', 'saml', 'csv', 'http'), 'csv-*', '@node-saml/*', 'passport*', 'scim2-parse-filter'], 'the domain imports no adapter, framework or wire format'),
  ...layer('scim', [...dirs('saml', 'csv', 'http'), 'csv-*', '@node-saml/*', 'passport*'], 'adapters import neither each other nor http/'),
  ...layer('saml', [...dirs('scim', 'csv', 'http'), 'csv-*'], 'adapters import neither each other nor http/'),
  ...layer('csv', [...dirs('scim', 'saml', 'http'), '@node-saml/*', 'passport*'], 'adapters import neither each other nor http/'),
  ...layer('http', ['csv-*', '@node-saml/*', 'passport*'], 'http/ reaches CSV and SAML through their adapters', { express: true }),
  {
    // The console's browser scripts: plain ES modules served as they are.
    files: ['src/http/console/assets/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/cli.ts', 'scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);
