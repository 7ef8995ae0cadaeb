import { isMassDelete, type MassDeleteLimit } from '../sync/massDelete.js';
import { isDeleteOp, type DeleteOp, type SyncOp } from '../sync/ops.js';

const deleteKey = (op: DeleteOp): string => `${op.type} ${op.path}`;

/**
 * The mass-delete guard (docs/sync.md): a plan that deletes too much of the
 * tree runs without its deletions until the user confirms them. A
 * confirmation covers the deletions of the hold the user was shown (the
 * latest), and only the next plan: a plan that no longer has them (the files
 * came back) uses it up, and deletions planned since are judged on their own.
 * So a later, different mass delete asks again.
 */
export class MassDeleteGuard {
  /** The deletions of the latest hold, as the user was told of them. */
  private held: ReadonlySet<string> = new Set();
  /** The deletions the user let go, for the next plan. */
  private confirmed: ReadonlySet<string> = new Set();

  constructor(private readonly limit: MassDeleteLimit) {}

  /** The user let the deletions of the latest hold go ahead. */
  confirm(): void {
    this.confirmed = this.held;
  }

  /** Splits a plan into what runs now and the deletions held for confirmation; uses up the confirmation. */
  check(ops: readonly SyncOp[], baseSize: number): { runnable: readonly SyncOp[]; held: readonly DeleteOp[] } {
    const confirmed = this.confirmed;
    this.confirmed = new Set();
    const unconfirmed = ops.filter((op) => !(isDeleteOp(op) && confirmed.has(deleteKey(op))));
    const held = isMassDelete(unconfirmed, baseSize, this.limit) ? unconfirmed.filter(isDeleteOp) : [];
    this.held = new Set(held.map(deleteKey));
    if (held.length === 0) return { runnable: ops, held };
    const holding = new Set<SyncOp>(held);
    return { runnable: ops.filter((op) => !holding.has(op)), held };
  }
}
