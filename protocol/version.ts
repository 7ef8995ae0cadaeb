import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The package version: the client's User-Agent, the service's /health and OpenAPI document. */
export const PACKAGE_VERSION: string = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      return (require(candidate) as { version: string }).version;
    } catch {
      // Source (protocol/) and build (dist/protocol/) sit at different depths.
    }
  }
  return '0.0.0';
})();
