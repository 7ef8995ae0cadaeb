import { PACKAGE_VERSION } from '../protocol/version.js';

/** Sent with every request to the service. */
export const USER_AGENT = `netdisk-sync/${PACKAGE_VERSION}`;
