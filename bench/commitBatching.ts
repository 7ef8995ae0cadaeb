/**
 * 2,000 small file commits arriving together (as from concurrent requests),
 * through the SqliteFileStore on a real database file with synchronous=FULL:
 * grouped by the commit batcher vs one transaction (one fsync) each.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { authMigrations } from '../server/auth/schema.js';
import { openSqlite } from '../server/db/sqlite.js';
import { filesMigrations } from '../server/files/schema.js';
import { SqliteFileStore } from '../server/files/sqliteFileStore.js';

const COMMITS = 2000;
const RUNS = 3;

async function commitsPerSecond(batching: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'netdisk-bench-commits-'));
  const db = openSqlite(join(dir, 'netdisk.sqlite'), [...authMigrations, ...filesMigrations]);
  try {
    const userId = randomUUID();
    db.prepare('INSERT INTO users (id, username, display_name, created_at) VALUES (?, ?, ?, ?)').run(userId, 'bench', 'bench', Date.now());
    const store = new SqliteFileStore(db, { batching });
    const files = Array.from({ length: COMMITS }, (_, i) => {
      const text = `small file ${i}`;
      return { path: `/f${i}.txt`, size: text.length, contentHash: createHash('sha256').update(text).digest('hex'), mtime: i };
    });
    // Uploads register their content before committing; that cost is not what is measured.
    for (const file of files) await store.registerContent(file.contentHash, file.size);
    const start = performance.now();
    await Promise.all(files.map((file) => store.commitFile(userId, file)));
    const seconds = (performance.now() - start) / 1000;
    const stored = db.prepare('SELECT count(*) FROM file_entries').pluck().get();
    if (stored !== COMMITS) throw new Error(`expected ${COMMITS} entries, found ${String(stored)}`);
    return COMMITS / seconds;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const batched: number[] = [];
const unbatched: number[] = [];
for (let run = 0; run < RUNS; run++) {
  unbatched.push(await commitsPerSecond(false));
  batched.push(await commitsPerSecond(true));
}
const fmt = (values: number[]) => `median ${median(values).toFixed(0)} commits/s (runs: ${values.map((v) => v.toFixed(0)).join(', ')})`;
console.log(`${COMMITS} commits, synchronous=FULL, ${RUNS} runs each`);
console.log(`unbatched (one transaction each): ${fmt(unbatched)}`);
console.log(`batched (commit batcher):         ${fmt(batched)}`);
console.log(`ratio batched/unbatched: ${(median(batched) / median(unbatched)).toFixed(1)}x`);
