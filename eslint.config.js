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

const APP_FORBIDDEN = [...['server', 'main', 'renderer'].flatMap(up), ...up('native-workers'), 'electron', 'electron/*'];
const APP_MESSAGE = 'app/ is pure Node: it may import protocol/ and reach native-workers/ by file path only.';

/**
 * A zone inside app/: it keeps app/'s own limits (a later config for the same
 * files replaces the rule, it does not add to it) and forbids the sibling
 * folders or files named, which sit above it.
 */
const appZone = (files, above, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        ...APP_FORBIDDEN.map((group) => ({ group: [group], message: APP_MESSAGE })),
        ...above.map((name) => ({ group: [name.endsWith('*') ? `../${name}` : `../${name}/*`], message })),
      ],
    }],
  },
});

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
  zone(['app/**'], APP_FORBIDDEN, APP_MESSAGE),
  // Inside app/, layers from the top: cli/ and ui/ (entry points) > syncClient > engine/ (rounds, scheduling)
  // > transfer/ > local/, db/, remote/, auth/, hash/ (one outside world each) and sync/ (pure planning)
  // > base/ (helpers that know nothing of sync). A layer imports only layers below it.
  appZone(['app/engine/**'], ['cli', 'ui', 'syncClient*', 'clientAccount*'], 'engine/ is driven by syncClient, cli/ and ui/; it does not import them.'),
  appZone(['app/transfer/**'], ['engine', 'cli', 'ui', 'syncClient*', 'clientAccount*'], 'transfer/ runs the transfers engine/ asks for; it does not import engine/ or above.'),
  appZone(['app/{local,db,remote,auth,hash}/**'], ['engine', 'transfer', 'cli', 'ui', 'syncClient*', 'clientAccount*'],
    'local/, db/, remote/, auth/ and hash/ each wrap one outside world; they do not import engine/, transfer/ or above.'),
  appZone(['app/sync/**'], ['engine', 'transfer', 'local', 'db', 'remote', 'auth', 'hash', 'cli', 'ui', 'syncClient*', 'clientAccount*'],
    'sync/ is pure planning over trees: no file system, database or network.'),
  appZone(['app/base/**'], ['engine', 'transfer', 'local', 'db', 'remote', 'auth', 'hash', 'sync', 'cli', 'ui', 'syncClient*', 'clientAccount*', 'errors*', 'model*'],
    'base/ holds helpers that know nothing of sync.'),
  zone(['native-workers/**'], [...['app', 'server', 'main', 'renderer'].flatMap(up), 'electron'],
    'native-workers/ may import protocol/ only.'),
  zone(['renderer/**'], [...['app', 'server', 'main', 'native-workers'].flatMap(up), 'electron', 'node:*'],
    'renderer/ talks only to the bridge interface; it may import protocol/ types.'),
  zone(['main/**'], [...['server', 'renderer', 'native-workers'].flatMap(up)],
    'main/ is a thin shell over app/ and protocol/.'),
);
