import { randomBytes, randomInt } from 'node:crypto';
import { PROOF_RANGE_BYTES, WHOLE_FILE_PROOF_BYTES } from '../../protocol/api.js';
import { GrowingDelay, type GrowingDelayRule } from '../auth/growingDelay.js';
import { SlidingWindowLimiter, type WindowRule } from '../auth/rateLimiter.js';
import type { ChallengeStore } from './challengeStore.js';

const TTL_MS = 5 * 60 * 1000;
const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

export interface ChallengeRules {
  /** Challenges one user may be given. */
  perUser: WindowRule;
  /** Challenges for one content, across all users. */
  perContent: WindowRule;
  /** Wrong or stale proofs by one user for one content: growing pauses without challenges. */
  failuresPerUserAndContent: GrowingDelayRule;
  /** Wrong or stale proofs by one user, any content. */
  failuresPerUser: GrowingDelayRule;
}

export const DEFAULT_CHALLENGE_RULES: ChallengeRules = {
  perUser: { limit: 60, windowMs: MINUTE },
  perContent: { limit: 30, windowMs: MINUTE },
  failuresPerUserAndContent: { freeFailures: 3, baseDelayMs: MINUTE, maxDelayMs: DAY, forgetAfterMs: DAY },
  failuresPerUser: { freeFailures: 10, baseDelayMs: MINUTE, maxDelayMs: DAY, forgetAfterMs: DAY },
};

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

/** The bytes a proof must cover: all of a file up to WHOLE_FILE_PROOF_BYTES, else a random PROOF_RANGE_BYTES. */
export function challengedRange(size: number): { offset: number; length: number } {
  if (size <= WHOLE_FILE_PROOF_BYTES) return { offset: 0, length: size };
  return { offset: randomInt(size - PROOF_RANGE_BYTES + 1), length: PROOF_RANGE_BYTES };
}

/**
 * Possession challenges for instant upload. Single use, short-lived, and
 * rationed: per user, per content, and after failed proofs. A client that is
 * out of challenges is not refused; it uploads the bytes instead, which an
 * honest client has and a guesser does not.
 * The challenges themselves live in the database (ChallengeStore), so any
 * node takes the answer to one another node issued. The rations are counted
 * per node, in memory: behind a load balancer a client gets at most the
 * number of nodes times its ration, and a refused client is never locked
 * out, it only uploads the bytes.
 */
export class ProofChallenges {
  private readonly perUser: SlidingWindowLimiter;
  private readonly perContent: SlidingWindowLimiter;
  private readonly failuresPerPair: GrowingDelay;
  private readonly failuresPerUser: GrowingDelay;

  constructor(private readonly store: ChallengeStore, private readonly now: () => number, rules: ChallengeRules = DEFAULT_CHALLENGE_RULES) {
    this.perUser = new SlidingWindowLimiter(rules.perUser, now);
    this.perContent = new SlidingWindowLimiter(rules.perContent, now);
    this.failuresPerPair = new GrowingDelay(rules.failuresPerUserAndContent, now);
    this.failuresPerUser = new GrowingDelay(rules.failuresPerUser, now);
  }

  /** A new challenge, or undefined when this user or content has had its ration: upload the bytes then. */
  async issue(userId: string, contentHash: string, size: number): Promise<Challenge | undefined> {
    const rationed = this.perUser.retryAfterMs(userId) > 0 || this.perContent.retryAfterMs(contentHash) > 0
      || this.failuresPerUser.retryAfterMs(userId) > 0 || this.failuresPerPair.retryAfterMs(`${userId}\n${contentHash}`) > 0;
    if (rationed) return undefined;
    this.perUser.hit(userId);
    this.perContent.hit(contentHash);
    const challenge: Challenge = {
      id: randomBytes(16).toString('hex'),
      userId,
      contentHash,
      size,
      ...challengedRange(size),
      nonce: randomBytes(16).toString('hex'),
      expiresAt: this.now() + TTL_MS,
    };
    await this.store.put(challenge);
    return challenge;
  }

  /** Single use: the challenge is gone after this, whatever the answer turns out to be. */
  async take(userId: string, id: string): Promise<Challenge | undefined> {
    const challenge = await this.store.take(userId, id);
    return challenge && challenge.expiresAt > this.now() ? challenge : undefined;
  }

  /** Counts a wrong, unknown, stale or reused proof against the user and the content. */
  failed(userId: string, contentHash: string): void {
    this.failuresPerPair.fail(`${userId}\n${contentHash}`);
    this.failuresPerUser.fail(userId);
  }

  /** A right proof: the user's earlier failures for this content were honest mistakes (a file changed meanwhile). */
  succeeded(userId: string, contentHash: string): void {
    this.failuresPerPair.clear(`${userId}\n${contentHash}`);
  }

  sweep(): Promise<void> {
    return this.store.sweep(this.now());
  }
}
