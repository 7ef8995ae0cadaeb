import { authorizeUrl as clientAuthorizeUrl, listenOnLoopback } from '../../app/auth/loopbackSignIn.js';

export { newPkce, type Pkce } from '../../app/auth/loopbackSignIn.js';

/**
 * The client's half of provider sign-in, for tests: a loopback listener that
 * records callbacks (app/auth/loopbackSignIn has the PKCE and the listener
 * itself), and a browserless "browser" that follows redirects with a cookie
 * jar and submits HTML forms by POSTing them.
 */

export interface LoopbackListener {
  /** http://127.0.0.1:<port>/callback */
  redirectUri: string;
  /** Query strings of the callbacks received so far. */
  received: URLSearchParams[];
  close(): Promise<void>;
}

/** What a desktop client runs during sign-in: a listener on 127.0.0.1 that takes the callback. */
export async function startLoopbackListener(): Promise<LoopbackListener> {
  const received: URLSearchParams[] = [];
  const { server, redirectUri } = await listenOnLoopback();
  server.on('request', (request, response) => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (url.pathname === new URL(redirectUri).pathname) received.push(url.searchParams);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><p id="done">Signed in. You can close this tab.</p>');
  });
  return {
    redirectUri,
    received,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface AuthorizeParams {
  redirectUri: string;
  state: string;
  challenge: string;
  linkTicket?: string;
}

/** The client's authorize URL (serverUrl without /api/v1), plus the link ticket only the web UI sends. */
export function authorizeUrl(serverUrl: string, provider: string, { linkTicket, ...params }: AuthorizeParams): string {
  const url = clientAuthorizeUrl(serverUrl, provider, params);
  return linkTicket ? `${url}&${new URLSearchParams({ link_ticket: linkTicket }).toString()}` : url;
}

function decodeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|lt|gt|apos);/gi, (_all, entity: string) => {
    const named: Record<string, string> = { amp: '&', quot: '"', lt: '<', gt: '>', apos: "'" };
    if (entity[0] !== '#') return named[entity.toLowerCase()]!;
    return String.fromCodePoint(entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1)));
  });
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decodeHtml(match[1]!) : undefined;
}

export interface HtmlForm {
  action: string;
  fields: Record<string, string>;
}

/** The first form of a page, with its inputs' current values. */
export function firstForm(html: string): HtmlForm {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on the page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of form[1]!.match(/<input\b[^>]*>/gi) ?? []) {
    const name = attribute(input, 'name');
    if (name) fields[name] = attribute(input, 'value') ?? '';
  }
  return { action: attribute(form[0], 'action') ?? '', fields };
}

export interface Page {
  url: string;
  status: number;
  html: string;
}

/** A minimal browser: follows redirects by hand, keeps cookies per origin and path. */
export class ScriptedBrowser {
  private readonly cookies = new Map<string, { origin: string; path: string; name: string; value: string }>();

  /** Loads `url`, following redirects, until a page answers or a redirect leaves for `stopAt`'s origin. */
  async open(url: string, init: { method?: string; form?: Record<string, string> } = {}, stopAt?: string): Promise<Page> {
    let current = url;
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hop = 0; hop < 20; hop++) {
      if (stopAt && current.startsWith(stopAt)) return { url: current, status: 0, html: '' };
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...this.cookieHeader(current),
        },
        ...(body !== undefined ? { body } : {}),
      });
      this.store(current, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).toString();
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url: current, status: response.status, html: await response.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits a page's first form with some fields filled in. */
  submit(page: Page, fill: Record<string, string> = {}, stopAt?: string): Promise<Page> {
    const form = firstForm(page.html);
    return this.open(new URL(form.action, page.url).toString(), { method: 'POST', form: { ...form.fields, ...fill } }, stopAt);
  }

  private cookieHeader(url: string): Record<string, string> {
    const { origin, pathname } = new URL(url);
    const pairs = [...this.cookies.values()]
      .filter((c) => c.origin === origin && pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`);
    return pairs.length > 0 ? { cookie: pairs.join('; ') } : {};
  }

  private store(url: string, setCookies: string[]): void {
    const { origin } = new URL(url);
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) || '/';
      const key = `${origin} ${path} ${name}`;
      const expired = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { origin, path, name, value });
    }
  }
}
