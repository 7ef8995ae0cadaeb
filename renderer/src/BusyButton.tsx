import type { ButtonHTMLAttributes, MouseEvent } from 'react';

/**
 * A button whose command may be running. While `busy` it says so with
 * `aria-disabled` and ignores presses, but stays focusable: a `disabled`
 * button drops keyboard focus to the page body, so the next Enter would go
 * nowhere.
 */
export function BusyButton({ busy, onClick, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean }) {
  const press = (event: MouseEvent<HTMLButtonElement>) => {
    if (busy) {
      // Also keeps a busy submit button from submitting its form again.
      event.preventDefault();
      return;
    }
    onClick?.(event);
  };
  return <button {...rest} aria-disabled={busy || undefined} onClick={press} />;
}
