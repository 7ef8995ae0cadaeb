import { randomBytes, randomInt } from 'node:crypto';

/** The largest range a possession challenge asks for: enough to prove the bytes, cheap to read. */
export const MAX_CHALLENGE_BYTES = 64 * 1024;
const TTL_MS = 5 * 60 * 1000;
/** Bounds memory if a client asks for challenges it never answers. */
const MAX_OUTSTANDING = 10_000;

export interface Challenge {
  id: string;
  userId: string;
  contentHash: string;
  size: number;
  offset: number;
  length: number;
  nonce: string;
  expiresAt: number;
}

/**
 * Possession challenges for instant upload. Kept in memory: they live for
 * minutes, and one lost in a restart only makes the client ask again.
 */
export class ProofChallenges {
  private readonly outstanding = new Map<string, Challenge>();

  constructor(private readonly now: () => number) {}

  issue(userId: string, contentHash: string, size: number): Challenge {
    const length = 1 + randomInt(Math.min(size, MAX_CHALLENGE_BYTES));
    const challenge: Challenge = {
      id: randomBytes(16).toString('hex'),
      userId,
      contentHash,
      size,
      offset: randomInt(size - length + 1),
      length,
      nonce: randomBytes(16).toString('hex'),
      expiresAt: this.now() + TTL_MS,
    };
    if (this.outstanding.size >= MAX_OUTSTANDING) {
      const oldest = this.outstanding.keys().next().value;
      if (oldest !== undefined) this.outstanding.delete(oldest);
    }
    this.outstanding.set(challenge.id, challenge);
    return challenge;
  }

  /** Single use: the challenge is gone after this, whatever the answer turns out to be. */
  take(userId: string, id: string): Challenge | undefined {
    const challenge = this.outstanding.get(id);
    if (!challenge || challenge.userId !== userId) return undefined;
    this.outstanding.delete(id);
    return challenge.expiresAt > this.now() ? challenge : undefined;
  }

  sweep(): void {
    const now = this.now();
    for (const [id, challenge] of this.outstanding) if (challenge.expiresAt <= now) this.outstanding.delete(id);
  }
}
