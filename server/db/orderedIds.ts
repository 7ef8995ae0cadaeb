import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random
 * bits. Same shape as a random UUID, but new ids sort after older ones, so a
 * row inserted with one lands at the right edge of its index. Random ids
 * (v4) put every new entry and version on a page of its own: at 100,000
 * files each 250-file commit dirtied thousands of index pages across the
 * tree, and the service spent most of a large initial sync writing and
 * syncing them. The random part comes from randomUUID, whose entropy Node
 * draws in bulk.
 */
export function timeOrderedUuid(now = Date.now()): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  const random = randomUUID();
  // random: xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx; keep its variant nibble (N) and random tail.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}
