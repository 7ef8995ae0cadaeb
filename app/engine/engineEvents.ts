import type { Activity, EngineEvent, EngineIssue, EngineState } from '../../protocol/engine.js';

export type EngineListener = (event: EngineEvent) => void;

/** How many recent activities `recentActivity` keeps for a screen opened later. */
const RECENT_ACTIVITY = 200;

/**
 * What the engine tells its listeners (the CLI's reporter, the desktop
 * bridge): its state, issues, activities, transfers and holds, as plain
 * typed events. It keeps what a listener that subscribes later needs to
 * catch up (the state, the recent activity) and tells each issue once.
 */
export class EngineEvents {
  private readonly listeners = new Set<EngineListener>();
  private readonly reportedIssues = new Set<string>();
  private readonly activity: Activity[] = [];
  private stateValue: EngineState = 'idle';
  /** While paused, the state stays `paused` (see `pause`). */
  private paused = false;

  get state(): EngineState {
    return this.stateValue;
  }

  /** Subscribes to engine events; returns the unsubscribe function. */
  on(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recentActivity(): Activity[] {
    return [...this.activity];
  }

  record(activity: Activity | null): void {
    if (!activity) return;
    this.activity.push(activity);
    if (this.activity.length > RECENT_ACTIVITY) this.activity.shift();
    this.emit({ type: 'activity', activity });
  }

  /** Each issue is told once per path and code, not every round. */
  report(issue: EngineIssue): void {
    const key = `${issue.code}:${issue.path ?? ''}`;
    if (this.reportedIssues.has(key)) return;
    this.reportedIssues.add(key);
    this.emit({ type: 'issue', issue });
  }

  setState(state: EngineState, detail?: string): void {
    if (this.paused && state !== 'paused') return;
    if (state === this.stateValue && detail === undefined) return;
    this.stateValue = state;
    this.emit(detail === undefined ? { type: 'state', state } : { type: 'state', state, detail });
  }

  /** Tells `paused`, and no other state until `resume` (a round winding down must not say `syncing` or `idle`). */
  pause(): void {
    this.paused = true;
    this.setState('paused');
  }

  resume(): void {
    this.paused = false;
    this.setState('idle');
  }

  emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
