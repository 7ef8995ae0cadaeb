import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { compareCodePoints } from './codePointOrder.js';

describe('compareCodePoints', () => {
  it('orders strings as SQLite orders them by BINARY collation, where UTF-16 order differs', () => {
    const words = ['a', 'ab', 'a/b', 'a0', 'é', 'z', '\u{ff5e}', '\u{1f600}', '\u{e000}', '\u{d7ff}', 'a\u{1f600}', 'a\u{fffd}', '', 'b\u{10000}x', 'b\u{ffff}'];
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (p TEXT PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (const word of words) insert.run(word);
    const sqlite = db.prepare('SELECT p FROM t ORDER BY p').pluck().all() as string[];
    db.close();
    expect([...words].sort(compareCodePoints)).toEqual(sqlite);
    // The case that makes this function necessary: UTF-16 order puts the emoji first.
    expect([...words].sort()).not.toEqual(sqlite);
  });
});
