import type {
  BRIDGE_CLOSE_UNAUTHORIZED, BRIDGE_SOCKET_PATH, BridgeApi, BridgeClientMessage, BridgeErrorInfo, BridgeEvent, BridgeServerMessage,
} from '../../protocol/bridge.js';

// Types only from protocol/: the literals below must equal the contract's or this does not compile.
const SOCKET_PATH: typeof BRIDGE_SOCKET_PATH = '/bridge';
const CLOSE_UNAUTHORIZED: typeof BRIDGE_CLOSE_UNAUTHORIZED = 4401;
const TOKEN_KEY = 'netdisk-sync-ui-token';

export type ConnectionStatus = 'connecting' | 'ready' | 'no_token' | 'refused' | 'closed';
export type ConnectionListener = (status: ConnectionStatus) => void;

/** A command the other side refused or could not run. */
export class BridgeCallError extends Error implements BridgeErrorInfo {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'BridgeCallError';
  }
}

/**
 * The token arrives in the URL fragment (never sent to a server). It moves to
 * sessionStorage and leaves the address bar, so a reload still works and a
 * screenshot or a shared address does not carry it.
 */
function takeToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** BridgeApi over the WebSocket served by `netdisk-sync --ui`. */
export function connectWebSocketBridge(onStatus: ConnectionListener): BridgeApi {
  const listeners = new Set<(event: BridgeEvent) => void>();
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let closedError: BridgeCallError | null = null;
  const token = takeToken();

  const ready = new Promise<WebSocket>((resolve, reject) => {
    if (!token) {
      closedError = new BridgeCallError('bridge_closed', 'no access token');
      onStatus('no_token');
      reject(closedError);
      return;
    }
    onStatus('connecting');
    const socket = new WebSocket(`ws://${window.location.host}${SOCKET_PATH}`);
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'hello', token } satisfies BridgeClientMessage)));
    socket.addEventListener('message', (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as BridgeServerMessage;
      if (data.type === 'ready') {
        onStatus('ready');
        resolve(socket);
      } else if (data.type === 'event') {
        for (const listener of listeners) listener(data.event as BridgeEvent);
      } else {
        const call = pending.get(data.id);
        pending.delete(data.id);
        if (data.ok) call?.resolve(data.value);
        else call?.reject(new BridgeCallError(data.error.code, data.error.message));
      }
    });
    socket.addEventListener('close', (event) => {
      const refused = event.code === CLOSE_UNAUTHORIZED;
      if (refused) sessionStorage.removeItem(TOKEN_KEY);
      closedError = new BridgeCallError('bridge_closed', refused ? 'the access token was refused' : 'the connection to netdisk-sync ended');
      for (const call of pending.values()) call.reject(closedError);
      pending.clear();
      onStatus(refused ? 'refused' : 'closed');
      reject(closedError);
    });
  });
  // Callers see the failure on their own calls; this keeps it from being reported as unhandled.
  ready.catch(() => {});

  const call = async (command: string, args?: unknown): Promise<unknown> => {
    const socket = await ready;
    if (closedError) throw closedError;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ type: 'call', id, command, ...(args === undefined ? {} : { args }) } satisfies BridgeClientMessage));
    });
  };

  // Every property but `on` is a command; the other side validates the name and the argument.
  return new Proxy({} as BridgeApi, {
    get: (_target, name) => {
      if (name === 'on') {
        return (listener: (event: BridgeEvent) => void) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        };
      }
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (args?: unknown) => call(name, args);
    },
  });
}
