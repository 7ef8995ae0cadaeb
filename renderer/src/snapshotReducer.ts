import type { BridgeEvent, Snapshot } from '../../protocol/bridge.js';
import type { Transfer } from '../../protocol/engine.js';

const MAX_ACTIVITY = 200;
const MAX_ISSUES = 100;

/**
 * Applies a batch of events to the last snapshot. Batched because transfer
 * events come many per second: the transfer list is rebuilt once per batch,
 * not once per event.
 */
export function applyEvents(snapshot: Snapshot, events: readonly BridgeEvent[]): Snapshot {
  let next = snapshot;
  let transfers: Map<string, Transfer> | null = null;
  for (const event of events) {
    switch (event.type) {
      case 'state': next = { ...next, engine: { state: event.state, ...(event.detail === undefined ? {} : { detail: event.detail }) } }; break;
      case 'progress': next = { ...next, progress: event.progress }; break;
      case 'transfer':
        transfers ??= new Map(next.transfers.map((transfer) => [transfer.id, transfer]));
        transfers.set(event.transfer.id, event.transfer);
        break;
      case 'activity': next = { ...next, activity: [...next.activity, event.activity].slice(-MAX_ACTIVITY) }; break;
      case 'issue': next = { ...next, issues: [...next.issues, event.issue].slice(-MAX_ISSUES) }; break;
      case 'massDelete': next = { ...next, massDelete: { count: event.count, side: event.side, total: event.total } }; break;
      // The engine's mass_delete issue ends with the hold.
      case 'massDeleteCleared': next = { ...next, massDelete: null, issues: next.issues.filter((issue) => issue.code !== 'mass_delete') }; break;
      case 'session': next = { ...next, session: event.session }; break;
      case 'settings': next = { ...next, settings: event.settings }; break;
      case 'conflicts': next = { ...next, conflicts: event.conflicts }; break;
      case 'storage': next = { ...next, storage: event.storage }; break;
    }
  }
  if (transfers) next = { ...next, transfers: [...transfers.values()] };
  return next;
}
