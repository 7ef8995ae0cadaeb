import { fileUnder } from '../app/ui/staticFiles.js';
import { APP_HOST, APP_SCHEME } from './windowSecurity.js';

/**
 * Maps an `app://netdisk/...` request to a file under the built renderer
 * folder, or null when the request is for another host or would escape the
 * folder (`..`, encoded separators, absolute paths).
 */
export function rendererFileFor(requestUrl: string, rendererRoot: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  return fileUnder(rendererRoot, url.pathname);
}
