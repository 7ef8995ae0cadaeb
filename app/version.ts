import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The client's package version, sent in the User-Agent. */
export const CLIENT_VERSION: string = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      return (require(candidate) as { version: string }).version;
    } catch {
      // Source (app/) and build (dist/app/) sit at different depths.
    }
  }
  return '0.0.0';
})();

export const USER_AGENT = `netdisk-sync/${CLIENT_VERSION}`;
