import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { FsyncCoalescer } from './fsyncCoalescer.js';

/** What the pack needs to make its writes durable: ports, so tests can see which fsync ran when. */
export interface PackSyncs {
  /** fdatasync of an existing file (the write-ahead log). */
  fileData(file: string): Promise<void>;
  /** fsync of a directory (the blob folder, for the log's own name). */
  directory(dir: string): Promise<void>;
}

/**
 * Small blobs (a batch upload's files, at most `MAX_BATCH_FILE_BYTES` each,
 * and empty files) as rows of one SQLite database in the blob folder,
 * `blobs/small.sqlite`. Why not a file each: making a new file durable costs
 * a durable write of its bytes, a rename and an fsync of its directory, and
 * with content-addressed `ab/cd/` folders nearly every blob of a batch lands
 * in a directory of its own, so a batch of 250 files paid ~500 disk flushes
 * (~1.3-2.5 ms each here even with four in parallel). Here a batch is one
 * transaction, and a crash leaves every blob of a batch or none.
 *
 * Durability: the database runs in WAL mode with `synchronous=NORMAL`, so a
 * commit appends to the log (`small.sqlite-wal`) without waiting for the
 * disk, and `putMany` resolves only after an fdatasync of the log that began
 * after its commit: the commit is then on the disk, as with
 * `synchronous=FULL`, but the flush runs on the thread pool, shared by
 * concurrent batches (FsyncCoalescer), instead of blocking the event loop
 * (~90 ms per 8 MiB batch here). Before the first such fdatasync, the blob
 * folder is fsynced once, so the names of the log and of the database file
 * are durable too (SQLite creates the log when the database opens and only
 * deletes it when the last connection closes). Checkpoints, every 64 MiB of log, are SQLite's own:
 * with NORMAL it syncs the log before copying it into the database and the
 * database after, as with FULL.
 *
 * Calls are synchronous (better-sqlite3) on the caller's thread, as the
 * metadata database's are; only the log flush is not. Deleted rows' pages
 * are reused by later blobs; the file does not shrink.
 */
export class SmallBlobPack {
  private readonly db: Database.Database;
  private readonly log: string;
  private readonly logSyncer: FsyncCoalescer;
  /** The blob folder's fsync that makes the log's name durable: once per process. */
  private logNamed: Promise<void> | undefined;
  private readonly insert: Database.Statement<[string, Uint8Array]>;
  private readonly select: Database.Statement<[string], { bytes: Buffer }>;
  private readonly exists: Database.Statement<[string], { found: number }>;
  private readonly remove: Database.Statement<[string]>;
  private readonly putAll: (blobs: readonly { contentHash: string; bytes: Uint8Array }[]) => void;

  constructor(private readonly file: string, private readonly syncs: PackSyncs) {
    this.db = new Database(file);
    // Takes effect only when the file is created (before WAL mode is set). A
    // blob of up to ~64 KiB then fits in one page and larger ones need a few
    // overflow pages: storing 5,000 blobs of 1-64 KiB took 1.4 s here against
    // 3-5.6 s with the default 4 KiB pages (which chain ~8 pages per blob).
    this.db.pragma('page_size = 65536');
    // A new database gets its first page (which says "WAL") written and
    // synced here, outside the log: SQLite ignores, and deletes, a log beside
    // an empty database file.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Several service processes may share a data folder.
    this.db.pragma('busy_timeout = 5000');
    // Statement journals (see openSqlite) in memory, not in /var/tmp.
    this.db.pragma('temp_store = MEMORY');
    // A batch is ~8 MiB: checkpoint every 64 MiB of log (1,024 pages) rather
    // than after every batch, and cut the log back to that size afterwards.
    this.db.pragma('wal_autocheckpoint = 1024');
    this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    this.db.exec('CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL)');
    this.log = `${file}-wal`;
    this.logSyncer = new FsyncCoalescer(syncs.fileData);
    this.insert = this.db.prepare('INSERT OR IGNORE INTO blobs (hash, bytes) VALUES (?, ?)');
    this.select = this.db.prepare('SELECT bytes FROM blobs WHERE hash = ?');
    this.exists = this.db.prepare('SELECT 1 AS found FROM blobs WHERE hash = ?');
    this.remove = this.db.prepare('DELETE FROM blobs WHERE hash = ?');
    this.putAll = this.db.transaction((blobs) => {
      for (const { contentHash, bytes } of blobs) this.insert.run(contentHash, bytes);
    });
  }

  /** Stores every blob in one transaction; resolves once it is durable (a blob already there is kept: same hash, same bytes). */
  async putMany(blobs: readonly { contentHash: string; bytes: Uint8Array }[]): Promise<void> {
    this.putAll(blobs);
    await this.flushed();
  }

  get(contentHash: string): Buffer | undefined {
    return this.select.get(contentHash)?.bytes;
  }

  has(contentHash: string): boolean {
    return this.exists.get(contentHash) !== undefined;
  }

  /** Resolves once the deletion is durable: collection forgets the content record only afterwards. */
  async delete(contentHash: string): Promise<void> {
    if (this.remove.run(contentHash).changes > 0) await this.flushed();
  }

  close(): void {
    this.db.close();
  }

  /** Every commit made before the call is on the disk once this resolves. */
  private async flushed(): Promise<void> {
    await this.logNameDurable();
    await this.logSyncer.sync(this.log);
  }

  private logNameDurable(): Promise<void> {
    if (!this.logNamed) {
      this.logNamed = this.syncs.directory(dirname(this.file));
      // A failure is not remembered: the next batch tries again.
      this.logNamed.catch(() => {
        this.logNamed = undefined;
      });
    }
    return this.logNamed;
  }
}

/** Every blob in the pack at `file`, by hash, read through a read-only connection (tests compare the store before and after a refused request). */
export function readSmallBlobs(file: string): { contentHash: string; bytes: Buffer }[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { contentHash: string; bytes: Buffer }>('SELECT hash AS contentHash, bytes FROM blobs ORDER BY hash').all();
  } finally {
    db.close();
  }
}
