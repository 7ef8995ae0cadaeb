import { inject } from 'vitest';
import { startRgw, type RgwInfo } from './rgw.js';
import { sharedDaemon } from './sharedDaemon.js';

/** The run's one RGW, started by whichever test file asks first; daemonsGlobalSetup.ts stops it after the run. */
export function sharedRgw(): Promise<RgwInfo> {
  return sharedDaemon(inject('rgwStateDir'), 'RGW', () => startRgw());
}
