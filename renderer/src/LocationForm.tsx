import { useState, type FormEvent } from 'react';
import type { BridgeApi, Snapshot } from '../../protocol/bridge.js';
import { BusyButton } from './BusyButton.js';
import { ErrorNotice } from './ErrorNotice.js';
import { useI18n } from './i18n.js';
import { useCommand } from './useCommand.js';

/** The contract takes http(s) addresses only; checked here too so the field can say so before a round trip. */
function isServiceAddress(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Where to sync: the service (this computer's built-in one where the host
 * has it, or an address) and the local folder. Applying reopens the sync
 * there, which may need a new sign-in; `confirmFirst` asks before that.
 * Only rendered where the host can change the location.
 */
export function LocationForm({ bridge, snapshot, confirmFirst }: { bridge: BridgeApi; snapshot: Snapshot; confirmFirst: boolean }) {
  const { t } = useI18n();
  const { settings, capabilities, usesBuiltInService } = snapshot;
  const [builtIn, setBuiltIn] = useState(usesBuiltInService);
  const [server, setServer] = useState(usesBuiltInService ? '' : settings.server);
  const [folder, setFolder] = useState(settings.folder);
  const [confirming, setConfirming] = useState(false);
  const [checked, setChecked] = useState(false);
  const apply = useCommand();

  const serverValid = builtIn || isServiceAddress(server.trim());
  const changed = folder.trim() !== settings.folder || builtIn !== usesBuiltInService || (!builtIn && server.trim() !== settings.server);
  const showServerError = checked && !serverValid;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (!serverValid || !changed) return;
    if (confirmFirst && !confirming) return setConfirming(true);
    setConfirming(false);
    // The snapshot reloads when the sync reopens, and with it this form.
    await apply.run(() => bridge.setSettings({ folder: folder.trim(), server: builtIn ? null : server.trim() }));
  };

  const serverField = (
    <>
      <label htmlFor="server">{t('settings.server')}</label>
      <input id="server" type="url" inputMode="url" placeholder="https://" value={server} disabled={builtIn}
        aria-invalid={showServerError} aria-describedby={showServerError ? 'server-error' : undefined}
        onChange={(event) => { setServer(event.target.value); setConfirming(false); }} />
      {showServerError ? <p id="server-error" className="hint field-error">{t('location.serverInvalid')}</p> : null}
    </>
  );

  return (
    <form className="form location-form" aria-labelledby="location-title" onSubmit={(event) => void submit(event)} noValidate>
      <h2 id="location-title" className="location-title">{t('location.title')}</h2>
      {capabilities.builtInService ? (
        <fieldset className="service-choice">
          <legend>{t('location.service')}</legend>
          <div className="checkbox">
            <input id="server-built-in" type="radio" name="service" checked={builtIn}
              onChange={() => { setBuiltIn(true); setConfirming(false); }} />
            <label htmlFor="server-built-in">{t('location.builtIn')}</label>
          </div>
          <div className="checkbox">
            <input id="server-other" type="radio" name="service" checked={!builtIn}
              onChange={() => { setBuiltIn(false); setConfirming(false); }} />
            <label htmlFor="server-other">{t('location.other')}</label>
          </div>
          {serverField}
        </fieldset>
      ) : serverField}
      <label htmlFor="folder">{t('settings.folder')}</label>
      <input id="folder" value={folder} required spellCheck={false} aria-describedby="folder-hint"
        onChange={(event) => { setFolder(event.target.value); setConfirming(false); }} />
      <p id="folder-hint" className="hint">{t('location.folderHint')}</p>
      {confirming ? (
        <div className="notice" role="alert">
          <p>{t('location.confirm')}</p>
          <div className="actions">
            <BusyButton type="submit" className="primary" busy={apply.busy}>{t('location.confirmButton')}</BusyButton>
            <button type="button" onClick={() => setConfirming(false)}>{t('location.cancel')}</button>
          </div>
        </div>
      ) : (
        <BusyButton type="submit" busy={apply.busy} disabled={!changed}>{apply.busy ? t('location.busy') : t('location.apply')}</BusyButton>
      )}
      {apply.error ? <ErrorNotice error={apply.error} onDismiss={apply.clearError} /> : null}
    </form>
  );
}
