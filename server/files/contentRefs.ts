import type Database from 'better-sqlite3';

/**
 * Reference counts of stored content. Live and trashed file entries each hold
 * one reference; content whose count drops to 0 is stamped, so the blob store
 * can collect it after a grace period (an upload may be about to commit it).
 */
export class ContentRefs {
  private readonly upsert: Database.Statement;
  private readonly selectSize: Database.Statement;
  private readonly increment: Database.Statement;
  private readonly upsertMany: Database.Statement;
  private readonly incrementMany: Database.Statement;
  private readonly decrement: Database.Statement;
  private readonly collectable: Database.Statement;
  private readonly stillCollectable: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(db: Database.Database, private readonly now: () => number) {
    // Registering again restarts the grace period of unreferenced content.
    this.upsert = db.prepare(`
      INSERT INTO file_contents (content_hash, size, refcount, unreferenced_since) VALUES (?, ?, 0, ?)
      ON CONFLICT (content_hash) DO UPDATE SET unreferenced_since =
        CASE WHEN refcount = 0 THEN excluded.unreferenced_since ELSE NULL END`);
    // "WHERE true": an upsert's SELECT needs a WHERE, or SQLite reads ON CONFLICT as a join's ON.
    this.upsertMany = db.prepare(`
      INSERT INTO file_contents (content_hash, size, refcount, unreferenced_since) SELECT value->>0, value->>1, 0, ? FROM json_each(?) WHERE true
      ON CONFLICT (content_hash) DO UPDATE SET unreferenced_since =
        CASE WHEN refcount = 0 THEN excluded.unreferenced_since ELSE NULL END`);
    this.incrementMany = db.prepare(`
      UPDATE file_contents SET refcount = refcount + counted.n, unreferenced_since = NULL
      FROM (SELECT value->>0 AS hash, value->>1 AS n FROM json_each(?)) AS counted WHERE file_contents.content_hash = counted.hash`);
    this.selectSize = db.prepare('SELECT size FROM file_contents WHERE content_hash = ?');
    this.increment = db.prepare('UPDATE file_contents SET refcount = refcount + 1, unreferenced_since = NULL WHERE content_hash = ?');
    this.decrement = db.prepare(`
      UPDATE file_contents SET refcount = refcount - 1,
        unreferenced_since = CASE WHEN refcount = 1 THEN ? ELSE NULL END
      WHERE content_hash = ?`);
    this.collectable = db.prepare(`
      SELECT content_hash FROM file_contents
      WHERE refcount = 0 AND unreferenced_since < ? ORDER BY unreferenced_since`).pluck();
    this.stillCollectable = db.prepare('SELECT 1 FROM file_contents WHERE content_hash = ? AND refcount = 0 AND unreferenced_since < ?');
    this.remove = db.prepare('DELETE FROM file_contents WHERE content_hash = ? AND refcount = 0');
  }

  register(contentHash: string, size: number): void {
    this.upsert.run(contentHash, size, this.now());
  }

  /** register for many contents in one statement. */
  registerMany(contents: readonly { contentHash: string; size: number }[]): void {
    this.upsertMany.run(this.now(), JSON.stringify(contents.map(({ contentHash, size }) => [contentHash, size])));
  }

  lookup(contentHash: string): { size: number } | null {
    return (this.selectSize.get(contentHash) as { size: number } | undefined) ?? null;
  }

  /** Takes a reference for a new entry (the caller checked the content is registered, with its size). */
  acquire(contentHash: string): void {
    this.increment.run(contentHash);
  }

  /** acquire for each item: a hash listed twice gains two references. */
  acquireMany(contentHashes: readonly string[]): void {
    const counts = new Map<string, number>();
    for (const hash of contentHashes) counts.set(hash, (counts.get(hash) ?? 0) + 1);
    this.incrementMany.run(JSON.stringify([...counts]));
  }

  release(contentHash: string): void {
    this.decrement.run(this.now(), contentHash);
  }

  unreferencedBefore(before: number): string[] {
    return this.collectable.all(before) as string[];
  }

  isUnreferencedBefore(contentHash: string, before: number): boolean {
    return this.stillCollectable.get(contentHash, before) !== undefined;
  }

  /** Drops the record of content the blob store deleted; referenced content is kept. */
  forget(contentHash: string): void {
    this.remove.run(contentHash);
  }
}
