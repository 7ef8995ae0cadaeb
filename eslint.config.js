// The folder says where code may run; these zones make the dependency
// directions in ARCHITECTURE.md a build failure instead of a convention.
import tseslint from 'typescript-eslint';

/** Import patterns a folder may not reach, with the reason shown to whoever crosses the line. */
const zone = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      patterns: forbidden.map((group) => ({ group: [group], message })),
    }],
  },
});

const up = (dir) => [`../${dir}/*`, `../../${dir}/*`, `../../../${dir}/*`, `../../../../${dir}/*`];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'coverage/**', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  zone(['protocol/**'], [...['app', 'server', 'main', 'renderer', 'native-workers'].flatMap(up), 'electron'],
    'protocol/ is the shared contract: it imports nothing of the project.'),
  zone(['server/**'], [...['app', 'main', 'renderer', 'native-workers'].flatMap(up), 'electron'],
    'server/ may import protocol/ only.'),
  zone(['app/**'], [...['server', 'main', 'renderer'].flatMap(up), ...up('native-workers'), 'electron', 'electron/*'],
    'app/ is pure Node: it may import protocol/ and reach native-workers/ by file path only.'),
  zone(['native-workers/**'], [...['app', 'server', 'main', 'renderer'].flatMap(up), 'electron'],
    'native-workers/ may import protocol/ only.'),
  zone(['renderer/**'], [...['app', 'server', 'main', 'native-workers'].flatMap(up), 'electron', 'node:*'],
    'renderer/ talks only to the bridge interface; it may import protocol/ types.'),
  zone(['main/**'], [...['server', 'renderer', 'native-workers'].flatMap(up)],
    'main/ is a thin shell over app/ and protocol/.'),
);
