import Database from 'better-sqlite3';

/**
 * Small blobs (a batch upload's files, at most `MAX_BATCH_FILE_BYTES` each,
 * and empty files) as rows of one SQLite database in the blob folder,
 * `blobs/small.sqlite`. Why not a file each: making a new file durable costs
 * a durable write of its bytes, a rename and an fsync of its directory, and
 * with content-addressed `ab/cd/` folders nearly every blob of a batch lands
 * in a directory of its own, so a batch of 250 files paid ~500 disk flushes
 * (~1.3-2.5 ms each here even with four in parallel). Here a batch is one
 * transaction: its blobs are durable when the commit returns (WAL,
 * `synchronous=FULL`: one fsync of the log), and a crash leaves every blob of
 * a batch or none, never a partial one.
 *
 * Calls are synchronous (better-sqlite3) on the caller's thread, as the
 * metadata database's commits are. Deleted rows' pages are reused by later
 * blobs; the file does not shrink.
 */
export class SmallBlobPack {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, Uint8Array]>;
  private readonly select: Database.Statement<[string], { bytes: Buffer }>;
  private readonly exists: Database.Statement<[string], { found: number }>;
  private readonly remove: Database.Statement<[string]>;
  private readonly putAll: (blobs: readonly { contentHash: string; bytes: Uint8Array }[]) => void;

  constructor(file: string) {
    this.db = new Database(file);
    // Takes effect only when the file is created (before WAL mode is set). A
    // blob of up to ~64 KiB then fits in one page and larger ones need a few
    // overflow pages: storing 5,000 blobs of 1-64 KiB took 1.4 s here against
    // 3-5.6 s with the default 4 KiB pages (which chain ~8 pages per blob).
    this.db.pragma('page_size = 65536');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // Several service processes may share a data folder.
    this.db.pragma('busy_timeout = 5000');
    // A batch is ~8 MiB: checkpoint every 64 MiB of log (1,024 pages) rather
    // than after every batch, and cut the log back to that size afterwards.
    this.db.pragma('wal_autocheckpoint = 1024');
    this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    this.db.exec('CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL)');
    this.insert = this.db.prepare('INSERT OR IGNORE INTO blobs (hash, bytes) VALUES (?, ?)');
    this.select = this.db.prepare('SELECT bytes FROM blobs WHERE hash = ?');
    this.exists = this.db.prepare('SELECT 1 AS found FROM blobs WHERE hash = ?');
    this.remove = this.db.prepare('DELETE FROM blobs WHERE hash = ?');
    this.putAll = this.db.transaction((blobs) => {
      for (const { contentHash, bytes } of blobs) this.insert.run(contentHash, bytes);
    });
  }

  /** Stores every blob in one transaction; durable when it returns (a blob already there is kept: same hash, same bytes). */
  putMany(blobs: readonly { contentHash: string; bytes: Uint8Array }[]): void {
    this.putAll(blobs);
  }

  get(contentHash: string): Buffer | undefined {
    return this.select.get(contentHash)?.bytes;
  }

  has(contentHash: string): boolean {
    return this.exists.get(contentHash) !== undefined;
  }

  delete(contentHash: string): void {
    this.remove.run(contentHash);
  }

  /** Every stored hash, sorted (tests compare the store before and after a refused request). */
  hashes(): string[] {
    return this.db.prepare<[], { hash: string }>('SELECT hash FROM blobs ORDER BY hash').all().map((row) => row.hash);
  }

  close(): void {
    this.db.close();
  }
}
