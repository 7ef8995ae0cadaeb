import { z } from 'zod';

/**
 * QQ Connect's answer formats. `/oauth2.0/token` answers `access_token=...&expires_in=...`
 * (or JSON with `fmt=json`); `/oauth2.0/me` and error bodies may be JSONP,
 * `callback( {...} );`. Pure parsers, so every format is tested on its own.
 */

export interface QqFailure {
  ok: false;
  code: string;
  description: string;
}

export type QqResult<T> = ({ ok: true } & T) | QqFailure;

const JSONP = /^callback\s*\(\s*(\{[\s\S]*\})\s*\)\s*;?$/;

/** The JSON object in a plain or `callback( ... );`-wrapped body; undefined if there is none. */
export function qqJsonObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  const body = JSONP.exec(trimmed)?.[1] ?? trimmed;
  if (!body.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

function failureOf(object: Record<string, unknown>): QqFailure | undefined {
  if (object.error === undefined) return undefined;
  return { ok: false, code: String(object.error), description: String(object.error_description ?? object.msg ?? '') };
}

const unreadable = (text: string): QqFailure => ({ ok: false, code: 'unreadable_answer', description: text.slice(0, 200) });

const tokenFields = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().optional(),
  refresh_token: z.string().optional(),
});

export function parseQqToken(text: string): QqResult<{ accessToken: string }> {
  const object = qqJsonObject(text);
  const fields = object ?? Object.fromEntries(new URLSearchParams(text.trim()));
  const failure = failureOf(fields);
  if (failure) return failure;
  const parsed = tokenFields.safeParse(fields);
  return parsed.success ? { ok: true, accessToken: parsed.data.access_token } : unreadable(text);
}

const meFields = z.object({
  client_id: z.string().min(1),
  openid: z.string().min(1),
  unionid: z.string().min(1).optional(),
});

export function parseQqMe(text: string): QqResult<{ clientId: string; openid: string; unionid?: string }> {
  const object = qqJsonObject(text);
  if (!object) return unreadable(text);
  const failure = failureOf(object);
  if (failure) return failure;
  const parsed = meFields.safeParse(object);
  if (!parsed.success) return unreadable(text);
  const { client_id: clientId, openid, unionid } = parsed.data;
  return { ok: true, clientId, openid, ...(unionid ? { unionid } : {}) };
}

const userInfoFields = z.object({
  ret: z.coerce.number().int(),
  msg: z.string().optional(),
  nickname: z.string().optional(),
});

/** The profile; only the nickname is kept (accounts have no avatar yet). */
export function parseQqUserInfo(text: string): QqResult<{ nickname: string }> {
  const object = qqJsonObject(text);
  const parsed = object && userInfoFields.safeParse(object);
  if (!parsed?.success) return unreadable(text);
  const info = parsed.data;
  if (info.ret !== 0) return { ok: false, code: String(info.ret), description: info.msg ?? '' };
  return { ok: true, nickname: info.nickname ?? '' };
}
