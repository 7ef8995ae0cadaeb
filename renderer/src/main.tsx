import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { pickBridge } from './bridge.js';
import type { ConnectionStatus } from './webSocketBridge.js';

let report: (status: ConnectionStatus) => void = () => {};
let lastStatus: ConnectionStatus = 'connecting';
// Picked once per page: a second WebSocket (e.g. from a re-render) would be a second session.
const bridge = pickBridge((status) => {
  lastStatus = status;
  report(status);
});

function Root() {
  const [connection, setConnection] = useState<ConnectionStatus>(lastStatus);
  useEffect(() => {
    report = setConnection;
    setConnection(lastStatus);
  }, []);
  return <App bridge={bridge} connection={connection} />;
}

const container = document.getElementById('root');
if (container) createRoot(container).render(<StrictMode><Root /></StrictMode>);
