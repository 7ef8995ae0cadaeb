import { useState, type FormEvent } from 'react';
import type { BridgeApi, Snapshot } from '../../protocol/bridge.js';
import { BusyButton } from './BusyButton.js';
import { ErrorNotice } from './ErrorNotice.js';
import { useI18n } from './i18n.js';
import { LocationForm } from './LocationForm.js';
import { useCommand } from './useCommand.js';

export function SignIn({ bridge, snapshot }: { bridge: BridgeApi; snapshot: Snapshot }) {
  const { t } = useI18n();
  const [username, setUsername] = useState(snapshot.session.username ?? '');
  const [password, setPassword] = useState('');
  const [browserUrl, setBrowserUrl] = useState<string | null>(null);
  const command = useCommand();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void command.run(() => bridge.signInWithPassword({ username, password }));
  };

  const withProvider = async (provider: string) => {
    const started = await command.run(() => bridge.signInWithProvider({ provider }));
    if (!started) return;
    // The desktop app opens the system browser itself; a web page opens a tab
    // (with noopener the result cannot tell a blocked tab, so the link stays shown).
    if (snapshot.shell === 'web') window.open(started.url, '_blank', 'noopener');
    setBrowserUrl(started.url);
  };

  const reason = snapshot.session.reason;
  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      {snapshot.capabilities.changeLocation ? (
        // First run: where to sync comes before signing in (the account belongs to that service and folder).
        <LocationForm key={`${snapshot.settings.folder}\n${snapshot.settings.server}`} bridge={bridge} snapshot={snapshot} confirmFirst={false} />
      ) : (
        <p className="muted">{t('signIn.server', { server: snapshot.settings.server })}</p>
      )}
      {reason ? <ErrorNotice error={reason} /> : null}
      <div className="providers">
        {snapshot.providers.map((provider) => (
          <BusyButton key={provider.id} type="button" className={`provider provider-${provider.id.replace(/[^a-z0-9]/gi, '-')}`}
            busy={command.busy} onClick={() => void withProvider(provider.id)}>
            {t('signIn.with', { provider: provider.label })}
          </BusyButton>
        ))}
      </div>
      {browserUrl ? (
        <div className="notice" role="status">
          <p>{t('signIn.browser')}</p>
          <p className="muted">{t('signIn.popupBlocked')} <a href={browserUrl} target="_blank" rel="noreferrer noopener">{browserUrl}</a></p>
        </div>
      ) : null}
      <p className="divider"><span>{t('signIn.or')}</span></p>
      <form onSubmit={submit} className="form">
        <label htmlFor="username">{t('signIn.username')}</label>
        <input id="username" name="username" autoComplete="username" required value={username}
          onChange={(event) => setUsername(event.target.value)} />
        <label htmlFor="password">{t('signIn.password')}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password}
          onChange={(event) => setPassword(event.target.value)} />
        <BusyButton type="submit" className="primary" busy={command.busy}>{command.busy ? t('signIn.busy') : t('signIn.submit')}</BusyButton>
      </form>
      {command.error ? <ErrorNotice error={command.error} onDismiss={command.clearError} /> : null}
    </main>
  );
}
