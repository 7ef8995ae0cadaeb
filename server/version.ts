import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The package version, reported by /health and the OpenAPI document. */
export const SERVER_VERSION: string = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      return (require(candidate) as { version: string }).version;
    } catch {
      // Source (server/) and build (dist/server/) sit at different depths.
    }
  }
  return '0.0.0';
})();
