import { randomBytes, randomInt } from 'node:crypto';
import { PROOF_RANGE_BYTES, WHOLE_FILE_PROOF_BYTES } from '../../protocol/api.js';
import type { DelayLimit, GrowingDelayRule, ThrottleStore } from '../auth/throttleStore.js';
import type { ChallengeRations, ChallengeStore } from './challengeStore.js';

const TTL_MS = 5 * 60 * 1000;
const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

export interface ChallengeRules extends ChallengeRations {
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
 * The challenges, their rations (counted from the challenges issued) and the
 * failed proofs all live in the database, so any node takes the answer to a
 * challenge another node issued, and every node counts the same rations.
 */
export class ProofChallenges {
  constructor(
    private readonly store: ChallengeStore,
    private readonly throttles: ThrottleStore,
    private readonly now: () => number,
    private readonly rules: ChallengeRules = DEFAULT_CHALLENGE_RULES,
  ) {
    // A taken challenge is counted until it expires and is swept: a longer window would forget some.
    if (rules.perUser.windowMs > TTL_MS || rules.perContent.windowMs > TTL_MS) throw new RangeError('challenge ration windows may not outlast a challenge');
  }

  /** A new challenge, or undefined when this user or content has had its ration: upload the bytes then. */
  async issue(userId: string, contentHash: string, size: number): Promise<Challenge | undefined> {
    const now = this.now();
    if (await this.throttles.waitFor(this.failureLimits(userId, contentHash), now) > 0) return undefined;
    const challenge: Challenge = {
      id: randomBytes(16).toString('hex'),
      userId,
      contentHash,
      size,
      ...challengedRange(size),
      nonce: randomBytes(16).toString('hex'),
      expiresAt: now + TTL_MS,
    };
    return await this.store.issue(challenge, this.rules, now) ? challenge : undefined;
  }

  /** Single use: the challenge is spent after this, whatever the answer turns out to be. */
  async take(userId: string, id: string): Promise<Challenge | undefined> {
    const now = this.now();
    const challenge = await this.store.take(userId, id, now);
    return challenge && challenge.expiresAt > now ? challenge : undefined;
  }

  /** Counts a wrong, unknown, stale or reused proof against the user and the content. */
  async failed(userId: string, contentHash: string): Promise<void> {
    const now = this.now();
    for (const limit of this.failureLimits(userId, contentHash)) await this.throttles.fail(limit, now);
  }

  /** A right proof: the user's earlier failures for this content were honest mistakes (a file changed meanwhile). */
  async succeeded(userId: string, contentHash: string): Promise<void> {
    await this.throttles.clearFailures(pairKey(userId, contentHash));
  }

  sweep(): Promise<void> {
    return this.store.sweep(this.now());
  }

  private failureLimits(userId: string, contentHash: string): DelayLimit[] {
    return [
      { kind: 'delay', key: pairKey(userId, contentHash), rule: this.rules.failuresPerUserAndContent },
      { kind: 'delay', key: `proof-user:${userId}`, rule: this.rules.failuresPerUser },
    ];
  }
}

const pairKey = (userId: string, contentHash: string): string => `proof-pair:${userId}\n${contentHash}`;
