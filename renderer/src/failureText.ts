import type { Language } from '../../protocol/bridge.js';
import { hasMessage, type Translate } from './i18n.js';

/** A failure as the bridge, a transfer or an engine issue carries it: a stable code and an English sentence. */
export interface CodedFailure {
  code: string;
  message: string;
}

/**
 * A failure in the reader's language, translated by its code (the service's,
 * the engine's or the bridge's). The `message` beside the code is English
 * (the service and the engine speak only English), so it is a detail for
 * English readers only; in Chinese a code without a translation shows itself
 * instead, never an English sentence.
 */
export function describeFailure(failure: CodedFailure, t: Translate, language: Language): { headline: string; detail: string | null; next: string } {
  const known = `error.${failure.code}`;
  const next = `error.${failure.code}.next`;
  const english = language === 'en';
  const nextStep = t(hasMessage(next) ? next : 'error.next');
  if (!hasMessage(known)) {
    if (english) return { headline: failure.message || t('error.title'), detail: null, next: nextStep };
    return { headline: t('error.title'), detail: t('error.code', { code: failure.code }), next: nextStep };
  }
  const headline = t(known);
  // `internal` carries nothing for people; an English sentence that only repeats the headline adds nothing either.
  const detail = english && failure.message && failure.code !== 'internal' && failure.message !== headline ? failure.message : null;
  return { headline, detail, next: nextStep };
}
