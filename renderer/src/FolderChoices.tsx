import { useCallback, useEffect, useRef, useState } from 'react';
import type { BridgeApi } from '../../protocol/bridge.js';
import type { EngineState } from '../../protocol/engine.js';
import type { FolderChoice, FolderListing } from '../../protocol/folders.js';
import { ROOT } from '../../protocol/paths.js';
import { ErrorNotice } from './ErrorNotice.js';
import { formatBytes } from './format.js';
import { useI18n, type MessageKey } from './i18n.js';
import { useCommand } from './useCommand.js';

/** A checkbox that can show "some inside are not kept" (indeterminate, which has no HTML attribute). */
function FolderCheckbox({ folder, onToggle }: { folder: FolderChoice; onToggle: (keep: boolean) => void }) {
  const { t } = useI18n();
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (box.current) box.current.indeterminate = folder.state === 'partial';
  }, [folder.state]);
  const id = `folder-${encodeURIComponent(folder.path)}`;
  return (
    <>
      <input ref={box} id={id} type="checkbox" checked={folder.state === 'kept'} aria-describedby={`${id}-detail`}
        onChange={() => onToggle(folder.state !== 'kept')} />
      <label htmlFor={id}>{folder.name}</label>
      <span id={`${id}-detail`} className="muted folder-detail">
        {t('folders.detail', { size: formatBytes(folder.size, t), files: folder.files })}
        {folder.state === 'kept' ? '' : ` · ${t(`folders.state.${folder.state}` as MessageKey)}`}
      </span>
    </>
  );
}

interface TreeProps {
  path: string;
  listings: ReadonlyMap<string, FolderListing>;
  expanded: ReadonlySet<string>;
  onExpand: (path: string, open: boolean) => void;
  onToggle: (path: string, keep: boolean) => void;
}

/** One level of the tree: a list of folders, each with its own (lazily loaded) level when expanded. */
function FolderLevel({ path, listings, expanded, onExpand, onToggle }: TreeProps) {
  const { t } = useI18n();
  const listing = listings.get(path);
  if (!listing) return null;
  return (
    <ul className={path === ROOT ? 'folder-tree' : 'folder-level'}>
      {listing.folders.map((folder) => {
        const open = expanded.has(folder.path);
        return (
          <li key={folder.path} className="folder-choice" data-path={folder.path}>
            <div className="folder-row">
              {folder.hasFolders ? (
                <button type="button" className="folder-expand" aria-expanded={open}
                  aria-label={t(open ? 'folders.collapse' : 'folders.expand', { name: folder.name })}
                  onClick={() => onExpand(folder.path, !open)}>{open ? '▾' : '▸'}</button>
              ) : <span className="folder-expand-space" aria-hidden="true" />}
              <FolderCheckbox folder={folder} onToggle={(keep) => onToggle(folder.path, keep)} />
            </div>
            {open ? <FolderLevel path={folder.path} listings={listings} expanded={expanded} onExpand={onExpand} onToggle={onToggle} /> : null}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Settings → "Folders on this computer" (selective sync): the service's
 * folders as a tree of checkboxes with their sizes, children loaded when a
 * folder is expanded, and the "sync new folders" switch. Every level shown is
 * read again after a change and whenever a round ends, so "removing the local
 * copy" turns into "not kept" by itself.
 */
export function FolderChoicesSection({ bridge, engineState }: { bridge: BridgeApi; engineState: EngineState }) {
  const { t } = useI18n();
  const [listings, setListings] = useState<ReadonlyMap<string, FolderListing>>(new Map());
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const command = useCommand();
  const { run } = command;
  const shown = useRef<string[]>([ROOT]);
  const loadedOnce = useRef(false);
  /** A change waits for the one before it (the checkboxes stay enabled, so focus never falls to the page). */
  const changing = useRef(false);

  const reload = useCallback(async (paths: readonly string[]) => {
    const loaded = await run(() => Promise.all(paths.map((path) => bridge.listFolders({ path }))));
    if (!loaded) return;
    setListings((current) => {
      const next = new Map(current);
      for (const listing of loaded) next.set(listing.path, listing);
      return next;
    });
  }, [bridge, run]);

  useEffect(() => {
    if (loadedOnce.current && engineState !== 'idle') return;
    loadedOnce.current = true;
    void reload(shown.current);
  }, [engineState, reload]);

  const expand = (path: string, open: boolean) => {
    const next = new Set(expanded);
    if (open) next.add(path);
    else next.delete(path);
    setExpanded(next);
    shown.current = [ROOT, ...next];
    if (open && !listings.has(path)) void reload([path]);
  };

  const change = async (act: () => Promise<void>) => {
    if (changing.current) return;
    changing.current = true;
    try {
      // Read again only after a success: a failure's notice stays until dismissed.
      const done = await run(async () => { await act(); return true; });
      if (done) await reload(shown.current);
    } finally {
      changing.current = false;
    }
  };
  const toggle = (path: string, keep: boolean) => change(() => bridge.setFolderKept({ path, keep }));
  const setSyncNew = (sync: boolean) => change(() => bridge.setSyncNewFolders({ sync }));
  const top = listings.get(ROOT);

  return (
    <section aria-labelledby="folders-title" className="folder-choices">
      <h2 id="folders-title" className="section-title">{t('folders.title')}</h2>
      <p className="hint" id="folders-hint">{t('folders.explain')}</p>
      {top === undefined ? null : top.folders.length === 0 ? <p className="muted">{t('folders.empty')}</p> : (
        <FolderLevel path={ROOT} listings={listings} expanded={expanded}
          onExpand={expand} onToggle={(path, keep) => void toggle(path, keep)} />
      )}
      {top === undefined ? null : (
        <div className="checkbox">
          <input id="sync-new-folders" type="checkbox" checked={top.syncNewFolders} aria-describedby="sync-new-folders-hint"
            onChange={(event) => void setSyncNew(event.target.checked)} />
          <label htmlFor="sync-new-folders">{t('folders.syncNew')}</label>
        </div>
      )}
      {top === undefined ? null : <p id="sync-new-folders-hint" className="hint">{t('folders.syncNewHint')}</p>}
      {command.error ? <ErrorNotice error={command.error} onDismiss={command.clearError} /> : null}
    </section>
  );
}
