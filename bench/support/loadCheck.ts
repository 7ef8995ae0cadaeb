import { hashBytes } from '../../protocol/contentHash.js';
import { listResponse } from '../../protocol/api.js';
import { call } from './loadHttp.js';
import type { LoadClient } from './loadClient.js';

/** What must be zero after a phase, across all clients. */
export interface Integrity {
  /** Change numbers missing between 1 and a feed's last (each user's feed counts 1, 2, 3, ...). */
  gaps: number;
  /** Changes seen twice, or out of order. */
  duplicates: number;
  /** Acknowledged writes with no change in their user's feed. */
  lostChanges: number;
  /** Acknowledged files absent from the listing, at another revision, or whose bytes differ. */
  missingFiles: number;
  /** Acknowledged files checked. */
  files: number;
}

function feedFaults(client: LoadClient): { gaps: number; duplicates: number } {
  const seqs = client.changes.map((change) => change.seq);
  let duplicates = 0;
  for (let i = 1; i < seqs.length; i++) if (seqs[i]! <= seqs[i - 1]!) duplicates++;
  const last = Math.max(0, ...seqs);
  return { gaps: last - new Set(seqs).size, duplicates };
}

/**
 * After the load stopped and every feed was read to its end: each user's
 * feed runs 1..last with no hole or repeat, each acknowledged write appears
 * in it, and each acknowledged file is listed at its revision with the
 * acknowledged bytes (downloaded and hashed).
 */
export async function checkIntegrity(api: string, clients: readonly LoadClient[], accessTokens: readonly string[]): Promise<Integrity> {
  const total: Integrity = { gaps: 0, duplicates: 0, lostChanges: 0, missingFiles: 0, files: 0 };
  await Promise.all(clients.map(async (client, i) => {
    const headers = { authorization: `Bearer ${accessTokens[i]}` };
    const { gaps, duplicates } = feedFaults(client);
    total.gaps += gaps;
    total.duplicates += duplicates;
    const inFeed = new Set(client.changes.map((change) => `${change.path}\n${change.entry.rev}`));
    const listing = await call(api, 'GET', `/files?path=${encodeURIComponent(client.folder)}`, { headers });
    const listed = new Map(listResponse.parse(listing.json()).entries.map((entry) => [entry.path, entry]));
    for (const ack of client.acked.values()) {
      total.files++;
      if (!inFeed.has(`${ack.path}\n${ack.rev}`)) total.lostChanges++;
      const entry = listed.get(ack.path);
      if (!entry || entry.rev !== ack.rev || entry.contentHash !== ack.contentHash) {
        total.missingFiles++;
        continue;
      }
      const bytes = await call(api, 'GET', `/files/content?path=${encodeURIComponent(ack.path)}`, { headers });
      if (bytes.status !== 200 || hashBytes(bytes.body).contentHash !== ack.contentHash) total.missingFiles++;
    }
  }));
  return total;
}
