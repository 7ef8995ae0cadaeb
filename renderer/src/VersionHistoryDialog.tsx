import { useEffect, useRef, useState } from 'react';
import type { BridgeApi } from '../../protocol/bridge.js';
import type { FileVersions } from '../../protocol/versions.js';
import { BusyButton } from './BusyButton.js';
import { ErrorNotice } from './ErrorNotice.js';
import { formatBytes, formatTime } from './format.js';
import { useI18n } from './i18n.js';
import { useCommand } from './useCommand.js';

/**
 * A file's version history at the service, as a modal dialog: time, size and
 * device of each version, and a Restore button for each earlier one. A
 * native <dialog> opened with showModal(): the page behind it is inert,
 * Escape closes it, and focus goes back to the button that opened it.
 */
export function VersionHistoryDialog({ bridge, path, onClose }: { bridge: BridgeApi; path: string; onClose: () => void }) {
  const { t, language } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const [history, setHistory] = useState<FileVersions | null>(null);
  const [restored, setRestored] = useState(false);
  const load = useCommand();
  const restore = useCommand();

  useEffect(() => {
    opener.current = document.activeElement;
    dialog.current?.showModal();
  }, []);
  useEffect(() => {
    void load.run(() => bridge.listVersions({ path })).then((found) => { if (found) setHistory(found); });
  }, [bridge, path, load.run]);

  const restoreVersion = async (versionId: string) => {
    setRestored(false);
    const after = await restore.run(() => bridge.restoreVersion({ path, versionId }));
    if (after) {
      setHistory(after);
      setRestored(true);
    }
  };
  const closed = () => {
    if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    onClose();
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="versions-title" onClose={closed}>
      <h2 id="versions-title">{t('versions.title')}</h2>
      <p><code>{path}</code></p>
      <p className="hint">{t('versions.explain')}</p>
      {load.error ? <ErrorNotice error={load.error} onDismiss={load.clearError} /> : null}
      {history === null ? (load.busy ? <p className="muted">{t('versions.loading')}</p> : null) : (
        <table className="version-table">
          <thead>
            <tr>
              <th scope="col">{t('versions.time')}</th>
              <th scope="col">{t('versions.size')}</th>
              <th scope="col">{t('versions.device')}</th>
              <th scope="col">{t('versions.action')}</th>
            </tr>
          </thead>
          <tbody>
            {history.versions.map((version) => {
              const when = formatTime(version.writtenAt, language);
              return (
                <tr key={version.versionId} data-version-id={version.versionId}>
                  <td><time dateTime={new Date(version.writtenAt).toISOString()}>{when}</time></td>
                  <td>{formatBytes(version.size, t)}</td>
                  <td>{version.device ?? <span className="muted">{t('versions.unknownDevice')}</span>}</td>
                  <td>
                    {version.current ? <strong>{t('versions.current')}</strong> : (
                      <BusyButton type="button" busy={restore.busy} aria-label={t('versions.restoreLabel', { time: when })}
                        onClick={() => void restoreVersion(version.versionId)}>
                        {t('versions.restore')}
                      </BusyButton>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {restore.error ? <ErrorNotice error={restore.error} onDismiss={restore.clearError} /> : null}
      <p role="status" aria-live="polite" className="saved">{restored ? t('versions.restored') : ''}</p>
      <div className="actions">
        <button type="button" onClick={() => dialog.current?.close()}>{t('versions.close')}</button>
      </div>
    </dialog>
  );
}
