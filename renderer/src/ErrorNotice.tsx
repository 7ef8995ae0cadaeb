import { useEffect, useRef } from 'react';
import type { BridgeErrorInfo } from '../../protocol/bridge.js';
import { describeFailure } from './failureText.js';
import { useI18n } from './i18n.js';

/** Turns whatever a command rejected with into a code and a sentence; never a stack trace. */
export function toErrorInfo(error: unknown): BridgeErrorInfo {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return { code: error.code, message: 'message' in error && typeof error.message === 'string' ? error.message : '' };
  }
  return { code: 'internal', message: '' };
}

/**
 * A readable failure with the next step to take, in the UI's language.
 * Dismissing it gives focus back to what had it when the failure appeared
 * (the button whose command failed): the Dismiss button goes with the
 * notice, and focus must not fall to the page body.
 */
export function ErrorNotice({ error, onDismiss }: { error: BridgeErrorInfo; onDismiss?: () => void }) {
  const { t, language } = useI18n();
  const { headline, detail, next } = describeFailure(error, t, language);
  const focusedBefore = useRef<Element | null>(null);
  useEffect(() => {
    focusedBefore.current = document.activeElement;
  }, []);
  const dismiss = (dismissed: () => void) => {
    const back = focusedBefore.current;
    dismissed();
    if (back instanceof HTMLElement && back.isConnected && back !== document.body) back.focus();
  };
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-headline">{headline}</p>
      {detail ? <p className="notice-detail">{detail}</p> : null}
      <p className="notice-next">{next}</p>
      {onDismiss ? <button type="button" className="link-button" onClick={() => dismiss(onDismiss)}>{t('error.dismiss')}</button> : null}
    </div>
  );
}
