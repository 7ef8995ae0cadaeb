import type { Migration } from '../db/migrate.js';

/**
 * The per-user tree, its trash, previous versions of files, the content
 * references they hold, and the change feed. Depends on `auth-0001-users`
 * for the users table.
 */
export const filesMigrations: Migration[] = [
  {
    id: 'files-0001-tree',
    sql: `
      -- One row per stored content; entries (live and trashed) hold references.
      CREATE TABLE file_contents (
        content_hash TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        refcount INTEGER NOT NULL DEFAULT 0 CHECK (refcount >= 0),
        unreferenced_since INTEGER
      );
      CREATE INDEX file_contents_collectable ON file_contents(unreferenced_since) WHERE refcount = 0;

      -- The root "/" of every user is implicit: it has no row.
      CREATE TABLE file_entries (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        path TEXT NOT NULL,
        parent_path TEXT NOT NULL,
        name TEXT NOT NULL,
        -- The case-folded name: two names in a folder may not differ only in case.
        name_key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        size INTEGER NOT NULL,
        content_hash TEXT REFERENCES file_contents(content_hash),
        rev TEXT NOT NULL,
        mtime INTEGER NOT NULL,
        CHECK ((kind = 'file') = (content_hash IS NOT NULL)),
        UNIQUE (user_id, path)
      );
      CREATE INDEX file_entries_children ON file_entries(user_id, parent_path, name_key);

      -- A deleted entry (with a folder's whole subtree) as one restorable item.
      CREATE TABLE file_trash (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        path TEXT NOT NULL,
        deleted_at INTEGER NOT NULL
      );
      CREATE INDEX file_trash_user ON file_trash(user_id, deleted_at);
      CREATE INDEX file_trash_age ON file_trash(deleted_at);

      CREATE TABLE file_trash_entries (
        trash_id TEXT NOT NULL REFERENCES file_trash(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        -- The entry's path when it was deleted; the item's own row has path = file_trash.path.
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        size INTEGER NOT NULL,
        content_hash TEXT REFERENCES file_contents(content_hash),
        rev TEXT NOT NULL,
        mtime INTEGER NOT NULL,
        PRIMARY KEY (trash_id, path)
      ) WITHOUT ROWID;

      -- Per user: the last change number handed out and the last one pruned.
      CREATE TABLE file_feeds (
        user_id TEXT PRIMARY KEY REFERENCES users(id),
        last_seq INTEGER NOT NULL,
        pruned_through INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE file_changes (
        user_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('create', 'update', 'move', 'delete')),
        path TEXT NOT NULL,
        from_path TEXT,
        entry TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, seq)
      ) WITHOUT ROWID;
      CREATE INDEX file_changes_age ON file_changes(created_at);
    `,
  },
  {
    // Bytes of each user's files, live and in the trash, kept by triggers so a
    // quota check is one row read. Folders have size 0; moves change no size.
    id: 'files-0002-usage',
    sql: `
      CREATE TABLE file_usage (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        bytes INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO file_usage (user_id, bytes)
        SELECT user_id, SUM(bytes) FROM (
          SELECT user_id, size AS bytes FROM file_entries
          UNION ALL
          SELECT t.user_id, e.size FROM file_trash_entries e JOIN file_trash t ON t.id = e.trash_id
        ) GROUP BY user_id;
      CREATE TRIGGER file_usage_entry_insert AFTER INSERT ON file_entries WHEN NEW.size <> 0 BEGIN
        INSERT INTO file_usage (user_id, bytes) VALUES (NEW.user_id, NEW.size)
          ON CONFLICT (user_id) DO UPDATE SET bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER file_usage_entry_delete AFTER DELETE ON file_entries WHEN OLD.size <> 0 BEGIN
        UPDATE file_usage SET bytes = bytes - OLD.size WHERE user_id = OLD.user_id;
      END;
      CREATE TRIGGER file_usage_entry_resize AFTER UPDATE OF size ON file_entries WHEN NEW.size <> OLD.size BEGIN
        INSERT INTO file_usage (user_id, bytes) VALUES (NEW.user_id, NEW.size - OLD.size)
          ON CONFLICT (user_id) DO UPDATE SET bytes = bytes + NEW.size - OLD.size;
      END;
      CREATE TRIGGER file_usage_trash_insert AFTER INSERT ON file_trash_entries WHEN NEW.size <> 0 BEGIN
        INSERT INTO file_usage (user_id, bytes) VALUES ((SELECT user_id FROM file_trash WHERE id = NEW.trash_id), NEW.size)
          ON CONFLICT (user_id) DO UPDATE SET bytes = bytes + NEW.size;
      END;
      -- Before the item goes: its entries are deleted by cascade, when their item row is already gone.
      CREATE TRIGGER file_usage_trash_purge BEFORE DELETE ON file_trash BEGIN
        UPDATE file_usage SET bytes = bytes - (SELECT COALESCE(SUM(size), 0) FROM file_trash_entries WHERE trash_id = OLD.id)
          WHERE user_id = OLD.user_id;
      END;
    `,
  },
  {
    // What each file held before it was replaced. Per file entry (so a
    // version history follows moves and survives the trash) one row is the
    // current content (replaced_at NULL; the entry itself holds its content
    // reference and its bytes count once, as the entry's) and the others are
    // previous versions, each holding a content reference and counting against
    // the quota. Rows are ordered by seq: a file's newest row is its current one.
    id: 'files-0003-versions',
    sql: `
      CREATE TABLE file_versions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id),
        entry_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        content_hash TEXT NOT NULL REFERENCES file_contents(content_hash),
        mtime INTEGER NOT NULL,
        -- The name of the device session that wrote it; NULL when unknown (written before versions were kept).
        device TEXT,
        written_at INTEGER NOT NULL,
        replaced_at INTEGER
      );
      CREATE INDEX file_versions_entry ON file_versions(user_id, entry_id, seq);
      CREATE UNIQUE INDEX file_versions_current ON file_versions(entry_id) WHERE replaced_at IS NULL;
      CREATE INDEX file_versions_age ON file_versions(replaced_at) WHERE replaced_at IS NOT NULL;

      -- Every file there is, live or in the trash, starts with its current row.
      INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
        SELECT lower(hex(randomblob(16))), user_id, id, size, content_hash, mtime, NULL, mtime FROM file_entries WHERE kind = 'file';
      INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
        SELECT lower(hex(randomblob(16))), t.user_id, e.id, e.size, e.content_hash, e.mtime, NULL, e.mtime
        FROM file_trash_entries e JOIN file_trash t ON t.id = e.trash_id WHERE e.kind = 'file';

      CREATE TRIGGER file_usage_version_insert AFTER INSERT ON file_versions
        WHEN NEW.replaced_at IS NOT NULL AND NEW.size <> 0 BEGIN
        INSERT INTO file_usage (user_id, bytes) VALUES (NEW.user_id, NEW.size)
          ON CONFLICT (user_id) DO UPDATE SET bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER file_usage_version_retire AFTER UPDATE OF replaced_at ON file_versions
        WHEN OLD.replaced_at IS NULL AND NEW.replaced_at IS NOT NULL AND NEW.size <> 0 BEGIN
        INSERT INTO file_usage (user_id, bytes) VALUES (NEW.user_id, NEW.size)
          ON CONFLICT (user_id) DO UPDATE SET bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER file_usage_version_delete AFTER DELETE ON file_versions
        WHEN OLD.replaced_at IS NOT NULL AND OLD.size <> 0 BEGIN
        UPDATE file_usage SET bytes = bytes - OLD.size WHERE user_id = OLD.user_id;
      END;
    `,
  },
];

/**
 * The same steps on PostgreSQL. Paths and names compare in the "C" collation
 * (code-point order, as SQLite's BINARY): the subtree ranges (`path > P || '/'
 * AND path < P || '0'`) and listing order depend on it, and a locale collation
 * would break both.
 */
export const filesPgMigrations: Migration[] = [
  {
    id: 'files-0001-tree',
    sql: `
      CREATE TABLE file_contents (
        content_hash TEXT PRIMARY KEY,
        size BIGINT NOT NULL,
        refcount INTEGER NOT NULL DEFAULT 0 CHECK (refcount >= 0),
        unreferenced_since BIGINT
      );
      CREATE INDEX file_contents_collectable ON file_contents(unreferenced_since) WHERE refcount = 0;

      CREATE TABLE file_entries (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        path TEXT COLLATE "C" NOT NULL,
        parent_path TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        size BIGINT NOT NULL,
        content_hash TEXT REFERENCES file_contents(content_hash),
        rev TEXT NOT NULL,
        mtime BIGINT NOT NULL,
        CHECK ((kind = 'file') = (content_hash IS NOT NULL)),
        UNIQUE (user_id, path)
      );
      CREATE INDEX file_entries_children ON file_entries(user_id, parent_path, name_key);

      CREATE TABLE file_trash (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        path TEXT COLLATE "C" NOT NULL,
        deleted_at BIGINT NOT NULL
      );
      CREATE INDEX file_trash_user ON file_trash(user_id, deleted_at);
      CREATE INDEX file_trash_age ON file_trash(deleted_at);

      CREATE TABLE file_trash_entries (
        trash_id TEXT NOT NULL REFERENCES file_trash(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        path TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        size BIGINT NOT NULL,
        content_hash TEXT REFERENCES file_contents(content_hash),
        rev TEXT NOT NULL,
        mtime BIGINT NOT NULL,
        PRIMARY KEY (trash_id, path)
      );

      -- Per user: the last change number handed out and the last one pruned.
      -- Its row is also the user's commit lock (see PgCommitBatcher).
      CREATE TABLE file_feeds (
        user_id TEXT PRIMARY KEY REFERENCES users(id),
        last_seq BIGINT NOT NULL,
        pruned_through BIGINT NOT NULL DEFAULT 0
      );

      CREATE TABLE file_changes (
        user_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('create', 'update', 'move', 'delete')),
        path TEXT NOT NULL,
        from_path TEXT,
        entry TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, seq)
      );
      CREATE INDEX file_changes_age ON file_changes(created_at);
    `,
  },
  {
    id: 'files-0002-usage',
    sql: `
      CREATE TABLE file_usage (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        bytes BIGINT NOT NULL DEFAULT 0
      );
      INSERT INTO file_usage (user_id, bytes)
        SELECT user_id, SUM(bytes) FROM (
          SELECT user_id, size AS bytes FROM file_entries
          UNION ALL
          SELECT t.user_id, e.size FROM file_trash_entries e JOIN file_trash t ON t.id = e.trash_id
        ) AS sizes GROUP BY user_id;

      CREATE FUNCTION file_usage_add(owner TEXT, delta BIGINT) RETURNS void LANGUAGE sql AS $$
        INSERT INTO file_usage (user_id, bytes) VALUES (owner, delta)
          ON CONFLICT (user_id) DO UPDATE SET bytes = file_usage.bytes + delta;
      $$;
      CREATE FUNCTION file_usage_entries() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.size <> 0 THEN PERFORM file_usage_add(OLD.user_id, -OLD.size); END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.size <> 0 THEN PERFORM file_usage_add(NEW.user_id, NEW.size); END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER file_usage_entries AFTER INSERT OR DELETE OR UPDATE OF size ON file_entries
        FOR EACH ROW EXECUTE FUNCTION file_usage_entries();
      CREATE FUNCTION file_usage_trash_entry() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.size <> 0 THEN PERFORM file_usage_add((SELECT user_id FROM file_trash WHERE id = NEW.trash_id), NEW.size); END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER file_usage_trash_insert AFTER INSERT ON file_trash_entries
        FOR EACH ROW EXECUTE FUNCTION file_usage_trash_entry();
      -- Before the item goes: its entries are deleted by cascade, when their item row is already gone.
      CREATE FUNCTION file_usage_trash_purge() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE file_usage SET bytes = bytes - (SELECT COALESCE(SUM(size), 0) FROM file_trash_entries WHERE trash_id = OLD.id)
          WHERE user_id = OLD.user_id;
        RETURN OLD;
      END $$;
      CREATE TRIGGER file_usage_trash_purge BEFORE DELETE ON file_trash
        FOR EACH ROW EXECUTE FUNCTION file_usage_trash_purge();
    `,
  },
  {
    // As files-0003-versions on SQLite. seq is a sequence: a file's newest row is its current one.
    id: 'files-0003-versions',
    sql: `
      CREATE TABLE file_versions (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id),
        entry_id TEXT NOT NULL,
        size BIGINT NOT NULL,
        content_hash TEXT NOT NULL REFERENCES file_contents(content_hash),
        mtime BIGINT NOT NULL,
        -- The name of the device session that wrote it; NULL when unknown (written before versions were kept).
        device TEXT,
        written_at BIGINT NOT NULL,
        replaced_at BIGINT
      );
      CREATE INDEX file_versions_entry ON file_versions(user_id, entry_id, seq);
      CREATE UNIQUE INDEX file_versions_current ON file_versions(entry_id) WHERE replaced_at IS NULL;
      CREATE INDEX file_versions_age ON file_versions(replaced_at) WHERE replaced_at IS NOT NULL;

      -- Every file there is, live or in the trash, starts with its current row.
      INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
        SELECT md5(random()::text || id), user_id, id, size, content_hash, mtime, NULL, mtime FROM file_entries WHERE kind = 'file';
      INSERT INTO file_versions (id, user_id, entry_id, size, content_hash, mtime, device, written_at)
        SELECT md5(random()::text || e.id), t.user_id, e.id, e.size, e.content_hash, e.mtime, NULL, e.mtime
        FROM file_trash_entries e JOIN file_trash t ON t.id = e.trash_id WHERE e.kind = 'file';

      -- A previous version's bytes count against the quota; a current row's are the entry's.
      CREATE FUNCTION file_usage_versions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' AND NEW.replaced_at IS NOT NULL AND NEW.size <> 0 THEN PERFORM file_usage_add(NEW.user_id, NEW.size); END IF;
        IF TG_OP = 'UPDATE' AND OLD.replaced_at IS NULL AND NEW.replaced_at IS NOT NULL AND NEW.size <> 0 THEN
          PERFORM file_usage_add(NEW.user_id, NEW.size);
        END IF;
        IF TG_OP = 'DELETE' AND OLD.replaced_at IS NOT NULL AND OLD.size <> 0 THEN PERFORM file_usage_add(OLD.user_id, -OLD.size); END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER file_usage_versions AFTER INSERT OR DELETE OR UPDATE OF replaced_at ON file_versions
        FOR EACH ROW EXECUTE FUNCTION file_usage_versions();
    `,
  },
];
