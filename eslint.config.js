// The folder says where code may run; these zones make the dependency
// directions in ARCHITECTURE.md a build failure instead of a convention.
import { posix } from 'node:path';
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

/** How deep below a zone's folder its files are checked (app/engine/plan/ is one below app/engine/). */
const ZONE_DEPTHS = [0, 1, 2];

/**
 * A zone inside app/: the files under `dir` (a folder of app/; `{a,b}` for
 * several alike) may not import `above`, which sit above them: paths inside
 * app/, each a folder (`cli`, `engine/plan`) or a file pattern (`syncClient*`,
 * `engine/*.js`). Import patterns are relative, so each depth of file below
 * `dir` gets its own config with its own `../`s (one list for all depths would
 * also catch, from deeper files, what lies one level up: `../../*.js` is
 * app/errors.js from app/engine/plan/). It keeps app/'s own limits (a later
 * config for the same files replaces the rule, it does not add to it).
 */
const appZone = (dir, above, message) => ZONE_DEPTHS.map((depth) => {
  const from = `${dir}${'/sub'.repeat(depth)}`;
  const reach = (target) => {
    const relative = posix.relative(from, `app/${target}`);
    return target.split('/').pop().includes('*') ? relative : `${relative}/*`;
  };
  return {
    files: [`${dir}${'/*'.repeat(depth + 1)}`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...APP_FORBIDDEN.map((group) => ({ group: [group], message: APP_MESSAGE })),
          ...above.map((target) => ({ group: [reach(target)], message })),
        ],
      }],
    },
  };
});

/** What engine/ and every part of it may not import: what drives it. */
const ABOVE_ENGINE = ['cli', 'ui', 'syncClient*', 'clientAccount*'];

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
  ...appZone('app/engine', ABOVE_ENGINE, 'engine/ is driven by syncClient, cli/ and ui/; it does not import them.'),
  // Inside engine/: the facade, scheduler and round (its top-level files) use plan/ and execute/, which
  // do not import them back, nor each other (a helper both need goes below engine/).
  ...appZone('app/engine/plan', [...ABOVE_ENGINE, 'engine/*.js', 'engine/execute'],
    'engine/plan/ is what a round observes and plans: it imports neither what uses it (engine/\'s top-level files: facade, scheduler, round; syncClient, cli/, ui/) nor execute/.'),
  ...appZone('app/engine/execute', [...ABOVE_ENGINE, 'engine/*.js', 'engine/plan'],
    'engine/execute/ carries out a plan: it imports neither what uses it (engine/\'s top-level files: facade, scheduler, round; syncClient, cli/, ui/) nor plan/.'),
  ...appZone('app/transfer', ['engine', 'cli', 'ui', 'syncClient*', 'clientAccount*'], 'transfer/ runs the transfers engine/ asks for; it does not import engine/ or above.'),
  ...appZone('app/{local,db,remote,auth,hash}', ['engine', 'transfer', 'cli', 'ui', 'syncClient*', 'clientAccount*'],
    'local/, db/, remote/, auth/ and hash/ each wrap one outside world; they do not import engine/, transfer/ or above.'),
  ...appZone('app/sync', ['engine', 'transfer', 'local', 'db', 'remote', 'auth', 'hash', 'cli', 'ui', 'syncClient*', 'clientAccount*'],
    'sync/ is pure planning over trees: no file system, database or network.'),
  ...appZone('app/base', ['engine', 'transfer', 'local', 'db', 'remote', 'auth', 'hash', 'sync', 'cli', 'ui', 'syncClient*', 'clientAccount*', 'errors*', 'model*'],
    'base/ holds helpers that know nothing of sync.'),
  zone(['native-workers/**'], [...['app', 'server', 'main', 'renderer'].flatMap(up), 'electron'],
    'native-workers/ may import protocol/ only.'),
  zone(['renderer/**'], [...['app', 'server', 'main', 'native-workers'].flatMap(up), 'electron', 'node:*'],
    'renderer/ talks only to the bridge interface; it may import protocol/ types.'),
  zone(['main/**'], [...['server', 'renderer', 'native-workers'].flatMap(up)],
    'main/ is a thin shell over app/ and protocol/.'),
);
