import type { BridgeEvent } from '../../protocol/bridge.js';
import type { BridgeService } from './bridgeService.js';

/**
 * What a long-lived carrier (the web bridge) serves when the sync under it
 * can be replaced: commands go to the BridgeService open now, and pages stay
 * subscribed across a change of folder or service.
 */
export class CurrentBridge implements Pick<BridgeService, 'call' | 'on' | 'describeError'> {
  private readonly listeners = new Set<(event: BridgeEvent) => void>();
  private unsubscribe: () => void;

  constructor(private service: BridgeService) {
    this.unsubscribe = service.on((event) => this.emit(event));
  }

  /** Call before the new service starts, so the pages hear its first events. */
  replace(next: BridgeService): void {
    this.unsubscribe();
    this.service = next;
    this.unsubscribe = next.on((event) => this.emit(event));
  }

  call(command: string, rawArgs: unknown): Promise<unknown> {
    return this.service.call(command, rawArgs);
  }

  describeError(error: unknown): ReturnType<BridgeService['describeError']> {
    return this.service.describeError(error);
  }

  on(listener: (event: BridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: BridgeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
