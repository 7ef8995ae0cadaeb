import { useEffect, useState, type FormEvent } from 'react';
import type { BridgeApi, Device, Language, Snapshot } from '../../protocol/bridge.js';
import { BusyButton } from './BusyButton.js';
import { ErrorNotice } from './ErrorNotice.js';
import { FolderChoicesSection } from './FolderChoices.js';
import { bytesToKilobytes, kilobytesToBytes } from '../../protocol/units.js';
import { formatBytes, formatTime } from './format.js';
import { useI18n } from './i18n.js';
import { LocationForm } from './LocationForm.js';
import { useCommand } from './useCommand.js';

/** What the form edits: limits in kB/s (protocol/units.ts) as people think of them, the contract's bytes per second on save. */
interface Draft {
  uploadKbps: string;
  downloadKbps: string;
  concurrency: string;
  ignoreRules: string;
  startAtLogin: boolean;
  language: Language | '';
}

function draftOf(settings: Snapshot['settings']): Draft {
  return {
    uploadKbps: String(bytesToKilobytes(settings.uploadLimit)),
    downloadKbps: String(bytesToKilobytes(settings.downloadLimit)),
    concurrency: String(settings.concurrency),
    ignoreRules: settings.ignoreRules,
    startAtLogin: settings.startAtLogin,
    language: settings.language ?? '',
  };
}

/** "1.2 GB of 100 GB used", with a warning once the quota is reached. */
function StorageLine({ storage }: { storage: NonNullable<Snapshot['storage']> }) {
  const { t } = useI18n();
  const used = storage.usedBytes + storage.reservedBytes;
  return (
    <p className={used >= storage.quotaBytes ? 'storage full' : 'storage'}>
      {t('settings.storage', { used: formatBytes(storage.usedBytes, t), quota: formatBytes(storage.quotaBytes, t) })}
      {used >= storage.quotaBytes ? ` ${t('settings.storageFull')}` : ''}
    </p>
  );
}

export function SettingsScreen({ bridge, snapshot }: { bridge: BridgeApi; snapshot: Snapshot }) {
  const { t, language } = useI18n();
  const { settings } = snapshot;
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const [saved, setSaved] = useState(false);
  const [devices, setDevices] = useState<Device[] | null>(null);
  const save = useCommand();
  const account = useCommand();
  const edit = (patch: Partial<Draft>) => {
    setSaved(false);
    setDraft((current) => ({ ...current, ...patch }));
  };

  useEffect(() => {
    void account.run(() => bridge.listDevices()).then((list) => { if (list) setDevices(list); });
  }, [bridge, account.run]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await save.run(() => bridge.setSettings({
      uploadLimit: kilobytesToBytes(Number(draft.uploadKbps)),
      downloadLimit: kilobytesToBytes(Number(draft.downloadKbps)),
      concurrency: Number(draft.concurrency),
      ignoreRules: draft.ignoreRules,
      startAtLogin: draft.startAtLogin,
      language: draft.language === '' ? null : draft.language,
    }));
    if (result) {
      setDraft(draftOf(result));
      setSaved(true);
    }
  };

  const signOutDevice = async (device: Device) => {
    await account.run(() => bridge.signOutDevice({ id: device.id }));
    const list = await account.run(() => bridge.listDevices());
    if (list) setDevices(list);
  };

  return (
    <section aria-labelledby="settings-title" className="screen">
      <h1 id="settings-title">{t('settings.title')}</h1>
      {snapshot.capabilities.changeLocation ? (
        <LocationForm key={`${settings.folder}\n${settings.server}`} bridge={bridge} snapshot={snapshot} confirmFirst />
      ) : null}
      <form className="form settings-form" onSubmit={(event) => void submit(event)}>
        {snapshot.capabilities.changeLocation ? null : (
          <>
            <label htmlFor="folder">{t('settings.folder')}</label>
            <input id="folder" value={settings.folder} readOnly aria-describedby="location-hint" />
            <label htmlFor="server">{t('settings.server')}</label>
            <input id="server" value={settings.server} readOnly aria-describedby="location-hint" />
            <p id="location-hint" className="hint">{t('settings.locationHint')}</p>
          </>
        )}

        <label htmlFor="upload-limit">{t('settings.uploadLimit')}</label>
        <input id="upload-limit" type="number" min={0} step="any" inputMode="decimal" required value={draft.uploadKbps} aria-describedby="limit-hint"
          onChange={(event) => edit({ uploadKbps: event.target.value })} />
        <label htmlFor="download-limit">{t('settings.downloadLimit')}</label>
        <input id="download-limit" type="number" min={0} step="any" inputMode="decimal" required value={draft.downloadKbps} aria-describedby="limit-hint"
          onChange={(event) => edit({ downloadKbps: event.target.value })} />
        <p id="limit-hint" className="hint">{t('settings.limitHint')}</p>
        <label htmlFor="concurrency">{t('settings.concurrency')}</label>
        <input id="concurrency" type="number" min={1} max={64} step={1} required value={draft.concurrency} aria-describedby="concurrency-hint"
          onChange={(event) => edit({ concurrency: event.target.value })} />
        <p id="concurrency-hint" className="hint">{t('settings.concurrencyHint')}</p>
        <label htmlFor="ignore-rules">{t('settings.ignoreRules')}</label>
        <textarea id="ignore-rules" rows={5} spellCheck={false} value={draft.ignoreRules}
          onChange={(event) => edit({ ignoreRules: event.target.value })} />
        <div className="checkbox">
          <input id="start-at-login" type="checkbox" checked={draft.startAtLogin} aria-describedby="start-hint"
            onChange={(event) => edit({ startAtLogin: event.target.checked })} />
          <label htmlFor="start-at-login">{t('settings.startAtLogin')}</label>
        </div>
        {snapshot.shell === 'web' ? <p id="start-hint" className="hint">{t('settings.startAtLoginHint')}</p> : null}
        <label htmlFor="language">{t('settings.language')}</label>
        <select id="language" value={draft.language} onChange={(event) => edit({ language: event.target.value as Draft['language'] })}>
          <option value="">{t('settings.language.system')}</option>
          <option value="en" lang="en">English</option>
          <option value="zh-CN" lang="zh-CN">简体中文</option>
        </select>
        <div className="actions">
          <BusyButton type="submit" className="primary" busy={save.busy}>{t('settings.save')}</BusyButton>
          <span role="status" aria-live="polite" className="saved">{saved ? t('settings.saved') : ''}</span>
        </div>
        {save.error ? <ErrorNotice error={save.error} onDismiss={save.clearError} /> : null}
      </form>

      <FolderChoicesSection bridge={bridge} engineState={snapshot.engine.state} />

      <h2 className="section-title">{t('settings.account')}</h2>
      {snapshot.session.username ? <p>{t('overview.signedInAs', { name: snapshot.session.username })}</p> : null}
      {snapshot.storage ? <StorageLine storage={snapshot.storage} /> : null}
      <button type="button" onClick={() => void account.run(() => bridge.signOut())}>{t('settings.signOut')}</button>
      {account.error ? <ErrorNotice error={account.error} onDismiss={account.clearError} /> : null}

      <h2 className="section-title">{t('settings.devices')}</h2>
      {devices === null ? null : devices.length === 0 ? <p className="muted">{t('settings.devices.empty')}</p> : (
        <ul className="device-list">
          {devices.map((device) => (
            <li key={device.id} className="device">
              <span>{device.deviceName}{device.current ? ` (${t('settings.devices.current')})` : ''}</span>
              <span className="muted">{t('settings.devices.lastUsed', { when: formatTime(device.lastUsedAt, language) })}</span>
              {device.current ? null : (
                <button type="button" onClick={() => void signOutDevice(device)}>{t('settings.devices.signOut', { name: device.deviceName })}</button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
