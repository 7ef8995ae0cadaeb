import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Entry } from '../../protocol/api.js';
import { formatBytes } from '../../protocol/units.js';
import { sharedPathQuery, shareIdSchema, type SharedEntry } from '../../protocol/shares.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ServerContext } from '../context.js';
import { ApiError } from '../errors.js';
import { parse } from '../http/validate.js';
import { PAGE_STRINGS, pageLanguage, type PageLanguage, type PageStrings } from './pageStrings.js';
import { withRetryAfter } from './publicRoutes.js';
import { SHARE_CSS } from './shareCss.js';
import { sendSharedEntry } from './sharedDownload.js';
import type { OpenShare, ShareService } from './shareService.js';

/** No script, no inline style, nothing from elsewhere: the page is HTML, one stylesheet and a form. */
export const SHARE_PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const CSS_URL = '/share-assets/share.css';
const COOKIE = 'share_token';
const MAX_FORM_BYTES = 1024;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cookieToken(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

async function readForm(request: FastifyRequest): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of request.raw) {
    text += Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.length > MAX_FORM_BYTES) throw new ApiError('payload_too_large', 'the form is too large');
  }
  return new URLSearchParams(text);
}

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', SHARE_PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    // The link id is in the URL: no Referer may carry it to another site.
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store');
}

function layout(lang: PageLanguage, s: PageStrings, heading: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(s.title)}</title><link rel="stylesheet" href="${CSS_URL}"></head>
<body><main><h1>${escapeHtml(heading)}</h1>
${body}
</main></body></html>`;
}

/**
 * A size as the desktop app shows it (protocol/units: "1.23 MB", "12 字节"), with the exact count
 * of bytes in a tooltip, so a visitor can still check a download against it.
 */
export function sizeHtml(lang: PageLanguage, size: number): string {
  const s = PAGE_STRINGS[lang];
  const readable = formatBytes(size, (unit) => (unit === 'B' ? s.byteUnit : unit));
  return `<span title="${escapeHtml(`${size.toLocaleString(lang)} ${s.bytes}`)}">${escapeHtml(readable)}</span>`;
}

function codeForm(id: string, s: PageStrings, notice?: string): string {
  return `${notice ? `<p class="notice" role="alert">${escapeHtml(notice)}</p>` : ''}<p>${escapeHtml(s.codePrompt)}</p>
<form method="post" action="/s/${id}"><label for="code">${escapeHtml(s.codeLabel)}</label>
<input id="code" name="code" maxlength="4" autocomplete="off" autofocus required><button type="submit">${escapeHtml(s.open)}</button></form>`;
}

function downloadUrl(id: string, path: string): string {
  return `/s/${id}/download?path=${encodeURIComponent(path)}`;
}

function folderView(id: string, lang: PageLanguage, s: PageStrings, here: string, entries: SharedEntry[]): string {
  const rows = entries.map((e) => {
    const link = e.kind === 'folder' ? `/s/${id}?path=${encodeURIComponent(e.path)}` : downloadUrl(id, e.path);
    return `<tr><td><a href="${escapeHtml(link)}">${escapeHtml(e.name)}${e.kind === 'folder' ? '/' : ''}</a></td><td class="size">${e.kind === 'file' ? sizeHtml(lang, e.size) : ''}</td></tr>`;
  }).join('\n');
  const parent = here === '/' ? '' : `<p><a href="/s/${id}?path=${encodeURIComponent(here.slice(0, here.lastIndexOf('/')) || '/')}">${escapeHtml(s.up)}</a></p>`;
  return `${parent}<p><a class="button" href="${escapeHtml(downloadUrl(id, here))}">${escapeHtml(s.downloadAll)}</a></p>
${entries.length === 0 ? `<p>${escapeHtml(s.empty)}</p>` : `<table><thead><tr><th>${escapeHtml(s.name)}</th><th>${escapeHtml(s.size)}</th></tr></thead><tbody>
${rows}
</tbody></table>`}`;
}

function fileView(id: string, lang: PageLanguage, s: PageStrings, entry: Entry): string {
  return `<p>${sizeHtml(lang, entry.size)}</p><p><a class="button" href="${escapeHtml(downloadUrl(id, '/'))}">${escapeHtml(s.download)}</a></p>`;
}

/**
 * The page a recipient opens (`/s/:id`, outside the JSON API): asks for the
 * code, then lists a folder or offers the file. A right code sets an
 * HttpOnly, SameSite=Strict cookie scoped to this link's path, so the
 * page's download links work without script.
 */
export function registerSharePage(app: FastifyInstance, ctx: ServerContext, service: ShareService, blobs: BlobStore): void {
  app.get(CSS_URL, async (_request, reply) => reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SHARE_CSS));

  const render = async (request: FastifyRequest, reply: FastifyReply, notice?: ApiError): Promise<FastifyReply> => {
    const lang = pageLanguage(request.headers['accept-language']);
    const s = PAGE_STRINGS[lang];
    pageHeaders(reply).header('content-type', 'text/html; charset=utf-8').header('content-language', lang);
    const refusal = (error: unknown): FastifyReply => {
      if (!(error instanceof ApiError)) throw error;
      const message = s.refusal[error.code] ?? s.otherError;
      return reply.code(error.status).send(layout(lang, s, s.title, `<p class="notice" role="alert">${escapeHtml(message)}</p>`));
    };
    try {
      const id = parse(shareIdSchema, (request.params as { id: string }).id);
      let open: OpenShare;
      try {
        open = await service.authorize(id, cookieToken(request));
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'share_locked')) throw error;
        const shown = notice ? s.refusal[notice.code] ?? s.otherError : undefined;
        return reply.code(notice?.status ?? 200).send(layout(lang, s, s.title, codeForm(id, s, shown)));
      }
      if (notice) return refusal(notice);
      const { path } = parse(sharedPathQuery, request.query);
      const entry = await service.resolve(open, path);
      const body = entry.kind === 'folder' ? folderView(id, lang, s, path, await service.listFolder(open, entry)) : fileView(id, lang, s, entry);
      return reply.send(layout(lang, s, entry.name, body));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_request') return refusal(new ApiError('share_not_found', error.message));
      return refusal(error);
    }
  };

  app.get('/s/:id', async (request, reply) => render(request, reply));

  app.post('/s/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    try {
      const form = await readForm(request);
      const { token, expiresAt } = await service.unlock(parse(shareIdSchema, id), form.get('code') ?? undefined, request.ip);
      const maxAge = Math.max(1, Math.floor((expiresAt - ctx.now()) / 1000));
      reply.header('set-cookie', `${COOKIE}=${token}; Path=/s/${id}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${request.protocol === 'https' ? '; Secure' : ''}`);
      // Post/redirect/get: a reload does not post the code again.
      return pageHeaders(reply).redirect(`/s/${id}`, 303);
    } catch (error) {
      // A wrong code, throttling, an oversized form: the code form again, saying why, with the refusal's status.
      if (error instanceof ApiError) {
        withRetryAfter(error, (seconds) => reply.header('retry-after', seconds));
        return render(request, reply, error);
      }
      throw error;
    }
  });

  app.get('/s/:id/download', async (request, reply) => {
    try {
      const id = parse(shareIdSchema, (request.params as { id: string }).id);
      const open = await service.authorize(id, cookieToken(request));
      const { path } = parse(sharedPathQuery, request.query);
      return await sendSharedEntry({ service, files: ctx.files, blobs }, open, await service.resolve(open, path), request, reply);
    } catch (error) {
      return render(request, reply, error instanceof ApiError ? error : undefined);
    }
  });
}
