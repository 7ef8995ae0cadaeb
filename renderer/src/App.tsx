import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { BridgeApi } from '../../protocol/bridge.js';
import { ActivityScreen } from './ActivityScreen.js';
import { ConflictsScreen } from './ConflictsScreen.js';
import { ErrorNotice } from './ErrorNotice.js';
import { I18nContext, resolveLanguage, translator, type MessageKey } from './i18n.js';
import { Overview } from './Overview.js';
import { SettingsScreen } from './SettingsScreen.js';
import { SignIn } from './SignIn.js';
import { useBridgeState } from './useBridgeState.js';
import type { ConnectionStatus } from './webSocketBridge.js';

const SCREENS = ['overview', 'activity', 'conflicts', 'settings'] as const;
type Screen = (typeof SCREENS)[number];

export function App({ bridge, connection }: { bridge: BridgeApi; connection: ConnectionStatus }) {
  const { snapshot, error } = useBridgeState(bridge);
  const [screen, setScreen] = useState<Screen>('overview');
  const language = resolveLanguage(snapshot?.settings.language ?? null, navigator.languages);
  const i18n = useMemo(() => ({ language, t: translator(language) }), [language]);
  const { t } = i18n;

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t('app.title');
  }, [language, t]);

  // Before there is a snapshot the page is one message under the app's name (every page has an h1).
  const centered = (content: ReactNode) => <main className="centered"><div className="centered-box"><h1>{t('app.title')}</h1>{content}</div></main>;
  let body;
  if (connection !== 'ready' && connection !== 'connecting') {
    body = centered(<p className="notice notice-error" role="alert">{t(`connection.${connection}`)}</p>);
  } else if (error) {
    body = centered(<ErrorNotice error={error} />);
  } else if (!snapshot) {
    body = centered(<p role="status">{t('connection.connecting')}</p>);
  } else if (snapshot.session.state !== 'signed_in') {
    body = <SignIn bridge={bridge} snapshot={snapshot} />;
  } else {
    const count = (name: Screen) => (name === 'conflicts' && snapshot.conflicts.length > 0 ? ` (${snapshot.conflicts.length})` : '');
    body = (
      <div className="layout">
        <nav aria-label={t('nav.label')} className="nav">
          <p className="brand">{t('app.title')}</p>
          {SCREENS.map((name) => (
            <button key={name} type="button" className="nav-item" aria-current={screen === name ? 'page' : undefined}
              onClick={() => setScreen(name)}>
              {t(`nav.${name}` as MessageKey)}{count(name)}
            </button>
          ))}
        </nav>
        <main className="content">
          {screen === 'overview' ? <Overview bridge={bridge} snapshot={snapshot} /> : null}
          {screen === 'activity' ? <ActivityScreen bridge={bridge} snapshot={snapshot} /> : null}
          {screen === 'conflicts' ? <ConflictsScreen bridge={bridge} snapshot={snapshot} /> : null}
          {screen === 'settings' ? <SettingsScreen bridge={bridge} snapshot={snapshot} /> : null}
        </main>
      </div>
    );
  }
  return <I18nContext.Provider value={i18n}>{body}</I18nContext.Provider>;
}
