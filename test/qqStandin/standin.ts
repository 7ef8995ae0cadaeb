import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for QQ Connect (graph.qq.com): the OAuth 2.0 endpoints and
 * get_user_info, with QQ's answer formats — `key=value&...` tokens, JSONP
 * `callback( {...} );` for /me and for errors — and a login page to click.
 * Everything lives in memory; it binds 127.0.0.1 only.
 */

export interface QqStandinOptions {
  appId: string;
  appKey: string;
  /** Callback URLs registered for the app; authorize refuses others. More may be pushed later. */
  redirectUris?: string[];
  port?: number;
}

/** An endpoint the next call of which answers QQ's error body instead. */
export type QqEndpoint = 'token' | 'me' | 'get_user_info';

export interface QqStandin {
  /** e.g. http://127.0.0.1:8091 — the `baseUrl` the service is configured with. */
  url: string;
  redirectUris: string[];
  /** The openid this app sees for a nickname (stable, like QQ's per-app openid). */
  openidOf(nickname: string): string;
  unionidOf(nickname: string): string;
  failNext(endpoint: QqEndpoint): void;
  close(): Promise<void>;
}

const CODE_TTL_MS = 10 * 60_000;
const TOKEN_TTL_SECONDS = 7_776_000;

// Error numbers and texts as QQ Connect documents them.
const QQ_ERRORS = {
  clientId: { error: 100001, error_description: 'param client_id is wrong or lost' },
  redirectUri: { error: 100010, error_description: 'redirect uri is illegal' },
  clientSecret: { error: 100013, error_description: 'client secret is wrong or lost' },
  code: { error: 100019, error_description: 'code to access token error' },
  codeReused: { error: 100020, error_description: 'code is reused error' },
  token: { error: 100016, error_description: 'access token check failed' },
} as const;

interface IssuedCode {
  nickname: string;
  redirectUri: string;
  expiresAt: number;
}

const jsonp = (object: object) => `callback( ${JSON.stringify(object)} );\n`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  response.end(body);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { location });
  response.end();
}

async function formBody(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(params: URLSearchParams): string {
  const hidden = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope']
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) ?? '')}">`).join('\n    ');
  const deny = new URL(params.get('redirect_uri')!);
  deny.searchParams.set('error', 'access_denied');
  deny.searchParams.set('error_description', 'the user cancelled the sign-in');
  deny.searchParams.set('state', params.get('state') ?? '');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>QQ登录</title></head>
<body>
  <h1>QQ帐号登录 (本地模拟)</h1>
  <form method="post" action="/oauth2.0/authorize">
    ${hidden}
    <label>昵称 <input name="nickname" value="小明" required></label>
    <button type="submit" id="authorize">授权并登录</button>
  </form>
  <p><a id="deny" href="${escapeHtml(deny.toString())}">取消 (deny)</a></p>
</body></html>`;
}

export async function startQqStandin(options: QqStandinOptions): Promise<QqStandin> {
  const redirectUris = [...(options.redirectUris ?? [])];
  const codes = new Map<string, IssuedCode>();
  const usedCodes = new Set<string>();
  const tokens = new Map<string, string>();
  const failing = new Set<QqEndpoint>();
  const idFor = (kind: string, nickname: string) =>
    createHmac('sha256', `${kind}:${options.appId}`).update(nickname).digest('hex').slice(0, 32).toUpperCase();
  const openidOf = (nickname: string) => idFor('openid', nickname);
  // A unionid is the same across one developer's apps, so it does not depend on the app id.
  const unionidOf = (nickname: string) => `UID_${createHmac('sha256', 'unionid').update(nickname).digest('hex').slice(0, 28).toUpperCase()}`;
  const takeFailure = (endpoint: QqEndpoint) => failing.delete(endpoint);

  function authorizeProblem(params: URLSearchParams): string | undefined {
    if (params.get('response_type') !== 'code') return 'response_type must be code';
    if (params.get('client_id') !== options.appId) return QQ_ERRORS.clientId.error_description;
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri || !redirectUris.includes(redirectUri)) return QQ_ERRORS.redirectUri.error_description;
    return undefined;
  }

  function token(params: URLSearchParams): { status: number; body: object } {
    if (takeFailure('token')) return { status: 200, body: QQ_ERRORS.code };
    if (params.get('grant_type') !== 'authorization_code') return { status: 200, body: { error: 100005, error_description: 'param grant_type is wrong or lost' } };
    if (params.get('client_id') !== options.appId) return { status: 200, body: QQ_ERRORS.clientId };
    if (params.get('client_secret') !== options.appKey) return { status: 200, body: QQ_ERRORS.clientSecret };
    const code = params.get('code') ?? '';
    if (usedCodes.has(code)) return { status: 200, body: QQ_ERRORS.codeReused };
    const issued = codes.get(code);
    if (!issued || issued.expiresAt <= Date.now()) return { status: 200, body: QQ_ERRORS.code };
    if (params.get('redirect_uri') !== issued.redirectUri) return { status: 200, body: QQ_ERRORS.redirectUri };
    codes.delete(code);
    usedCodes.add(code);
    const accessToken = randomBytes(16).toString('hex').toUpperCase();
    tokens.set(accessToken, issued.nickname);
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: String(TOKEN_TTL_SECONDS), refresh_token: randomBytes(16).toString('hex').toUpperCase() },
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const params = url.searchParams;
    const asJson = params.get('fmt') === 'json';
    const route = `${request.method} ${url.pathname}`;

    if (route === 'GET /oauth2.0/authorize') {
      const problem = authorizeProblem(params);
      if (problem) return send(response, 400, 'text/html', `<!doctype html><p>错误: ${escapeHtml(problem)}</p>`);
      return send(response, 200, 'text/html', loginPage(params));
    }
    if (route === 'POST /oauth2.0/authorize') {
      const form = await formBody(request);
      const problem = authorizeProblem(form);
      if (problem) return send(response, 400, 'text/html', `<!doctype html><p>错误: ${escapeHtml(problem)}</p>`);
      const code = randomBytes(16).toString('hex').toUpperCase();
      codes.set(code, { nickname: form.get('nickname') || 'QQ用户', redirectUri: form.get('redirect_uri')!, expiresAt: Date.now() + CODE_TTL_MS });
      const back = new URL(form.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', form.get('state') ?? '');
      return redirect(response, back.toString());
    }
    if (route === 'GET /oauth2.0/token') {
      const { body } = token(params);
      if (asJson) return send(response, 200, 'application/json', JSON.stringify(body));
      if ('error' in body) return send(response, 200, 'text/html', jsonp(body));
      return send(response, 200, 'text/plain', new URLSearchParams(body as Record<string, string>).toString());
    }
    if (route === 'GET /oauth2.0/me') {
      const nickname = tokens.get(params.get('access_token') ?? '');
      const body = takeFailure('me') || nickname === undefined
        ? QQ_ERRORS.token
        : { client_id: options.appId, openid: openidOf(nickname), ...(params.get('unionid') === '1' ? { unionid: unionidOf(nickname) } : {}) };
      return send(response, 200, asJson ? 'application/json' : 'text/html', asJson ? JSON.stringify(body) : jsonp(body));
    }
    if (route === 'GET /user/get_user_info') {
      const nickname = tokens.get(params.get('access_token') ?? '');
      if (takeFailure('get_user_info') || nickname === undefined) {
        return send(response, 200, 'application/json', JSON.stringify({ ret: 100016, msg: 'access token check failed' }));
      }
      if (params.get('oauth_consumer_key') !== options.appId || params.get('openid') !== openidOf(nickname)) {
        return send(response, 200, 'application/json', JSON.stringify({ ret: -22, msg: 'openid is invalid' }));
      }
      const avatar = `${baseUrl}/avatar/${openidOf(nickname)}`;
      return send(response, 200, 'application/json', JSON.stringify({
        ret: 0, msg: '', is_lost: 0, nickname, gender: '男', gender_type: 1, province: '广东', city: '深圳', year: '1990',
        figureurl: `${avatar}/30`, figureurl_1: `${avatar}/50`, figureurl_2: `${avatar}/100`,
        figureurl_qq_1: `${avatar}/40`, figureurl_qq_2: `${avatar}/100`, figureurl_qq: `${avatar}/640`,
        is_yellow_vip: '0', vip: '0', yellow_vip_level: '0', level: '0', is_yellow_year_vip: '0',
      }));
    }
    return send(response, 404, 'text/plain', 'not found');
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, 'text/plain', String(error)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    redirectUris,
    openidOf,
    unionidOf,
    failNext: (endpoint) => failing.add(endpoint),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
