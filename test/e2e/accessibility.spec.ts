import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../../protocol/bridge.js';
import { uploadFile } from '../helpers/uploads.js';
import { expectNoAxeViolations, openVariant, VARIANTS } from './accessibility.js';
import { serveFixedSnapshot } from './fixedSnapshot.js';
import { expect, shots, test } from './fixtures.js';

/**
 * axe-core (WCAG 2.1 AA and best practices) on every screen of the UI, in
 * English and Chinese, light and dark: the screens with the real service and
 * client, and the transfer states a test cannot hold still (active, failed,
 * an engine issue) from a fixed snapshot.
 */

// Four variants of several screens, each a full axe run: more than the default two minutes on a busy machine.
test.describe.configure({ timeout: 360_000 });

test('sign-in with the first-run step, its error, and the connection screens', async ({ browser, world, ui }) => {
  for (const variant of VARIANTS) {
    const { context, page } = await openVariant(browser, variant);
    // Without the token in the address, and with a wrong one (a fresh context: the page keeps a token it was given).
    await page.goto(ui.origin);
    await expect(page.getByRole('alert')).toBeVisible();
    await expectNoAxeViolations(page, `no token (${variant.name})`);
    await page.goto(`${ui.origin}/#token=wrong`);
    await expect(page.getByRole('alert')).toBeVisible();
    await expectNoAxeViolations(page, `refused (${variant.name})`);

    // From another document: only the fragment would change otherwise, and the page would not load again.
    await page.goto('about:blank');
    await page.goto(ui.url);
    await expect(page.locator('#username')).toBeVisible();
    await expect(page.locator('.provider-qq')).toBeVisible();
    await expectNoAxeViolations(page, `sign-in (${variant.name})`);
    await page.screenshot({ path: `${shots}/a11y-sign-in-${variant.name}.png`, fullPage: true });

    await page.locator('#username').fill(world.username);
    await page.locator('#password').fill('not the password');
    await page.locator('#password').press('Enter');
    await expect(page.locator('.notice-error')).toBeVisible();
    await expectNoAxeViolations(page, `sign-in error (${variant.name})`);
    await context.close();
  }
});

test('overview with a held mass delete, activity, a conflict and settings', async ({ browser, world }) => {
  writeFileSync(join(world.folder, 'report.txt'), 'first draft\n');
  // A folder, so Settings shows the "Folders on this computer" tree (with a subfolder to expand).
  mkdirSync(join(world.folder, 'photos', 'trip'), { recursive: true });
  writeFileSync(join(world.folder, 'photos', 'trip', 'two.jpg'), 'two\n');
  // Deleting 60 of 80 files is held for confirmation (app/sync/massDelete.ts: at least 50 and a quarter).
  for (let i = 0; i < 80; i++) writeFileSync(join(world.folder, `note-${i}.txt`), `note ${i}\n`);
  await world.syncOnce();
  for (let i = 0; i < 60; i++) rmSync(join(world.folder, `note-${i}.txt`));
  const auth = world.user!.auth;
  const meta = await fetch(`${world.api}/files/meta?path=%2Freport.txt`, { headers: auth });
  const { entry } = (await meta.json()) as { entry: { rev: string } };
  await uploadFile(world.api, auth, '/report.txt', new TextEncoder().encode('edited on the web\n'), { ifRev: entry.rev });
  writeFileSync(join(world.folder, 'report.txt'), 'edited on this computer\n');
  const ui = await world.startUi();

  for (const variant of VARIANTS) {
    const { context, page } = await openVariant(browser, variant);
    await page.goto(ui.url);
    const nav = page.getByRole('navigation');
    await expect(page.locator('.notice-warning')).toBeVisible();
    await expect(nav.getByRole('button')).toHaveCount(5);
    await page.locator('.issues summary').click();
    await expectNoAxeViolations(page, `overview with a mass delete held (${variant.name})`);
    await page.screenshot({ path: `${shots}/a11y-overview-${variant.name}.png`, fullPage: true });

    for (const [index, screen] of (['activity', 'conflicts', 'shares', 'settings'] as const).entries()) {
      await nav.getByRole('button').nth(index + 1).click();
      await expect(page.locator('main h1')).toBeVisible();
      if (screen === 'conflicts') await expect(page.locator('.conflict')).toHaveCount(1);
      if (screen === 'activity') await expect(page.locator('.activity-item').first()).toBeVisible();
      if (screen === 'settings') {
        await expect(page.locator('.device').first()).toBeVisible();
        await page.locator('.folder-expand').first().click();
        await expect(page.locator('.folder-level .folder-choice')).toHaveCount(1);
      }
      await expectNoAxeViolations(page, `${screen} (${variant.name})`);
      await page.screenshot({ path: `${shots}/a11y-${screen}-${variant.name}.png`, fullPage: true });
    }
    // Moving the sync asks first; that question is a screen state of its own.
    await page.locator('#folder').fill(join(world.root, 'elsewhere'));
    await page.locator('.location-form button[type="submit"]').click();
    await expect(page.locator('.location-form [role="alert"]')).toBeVisible();
    await expectNoAxeViolations(page, `settings asking before a move (${variant.name})`);
    await context.close();
  }
});

test('the version history dialog, opened from activity and from a conflict', async ({ browser, world }) => {
  // report.txt has two versions (the first draft, then a web edit) and a conflict with this computer's edit.
  writeFileSync(join(world.folder, 'report.txt'), 'first draft\n');
  await world.syncOnce();
  const auth = world.user!.auth;
  const meta = await fetch(`${world.api}/files/meta?path=%2Freport.txt`, { headers: auth });
  const { entry } = (await meta.json()) as { entry: { rev: string } };
  await uploadFile(world.api, auth, '/report.txt', new TextEncoder().encode('edited on the web\n'), { ifRev: entry.rev });
  writeFileSync(join(world.folder, 'report.txt'), 'edited on this computer\n');
  const ui = await world.startUi();

  for (const variant of VARIANTS) {
    const { context, page } = await openVariant(browser, variant);
    await page.goto(ui.url);
    const nav = page.getByRole('navigation');
    for (const [index, screen] of [[1, 'activity'], [2, 'conflicts']] as const) {
      await nav.getByRole('button').nth(index).click();
      const row = page.locator(screen === 'activity' ? '.activity-item' : '.conflict', { hasText: '/report.txt' }).first();
      await row.locator('.history-button').click();
      const dialog = page.getByRole('dialog');
      await expect(dialog.locator('tbody tr')).not.toHaveCount(0);
      await expectNoAxeViolations(page, `version history from ${screen} (${variant.name})`);
      await page.screenshot({ path: `${shots}/a11y-versions-${screen}-${variant.name}.png` });
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
    }
    await context.close();
  }
});

/** Every transfer state and an engine issue at once, through a desktop-style bridge (window.netdisk) that serves this snapshot. */
function busySnapshot(serverUrl: string, language: 'en' | 'zh-CN'): Snapshot {
  const transfer = { size: 5_000_000, rate: 0, eta: null, bytesDone: 0 };
  return {
    shell: 'desktop',
    session: { state: 'signed_in', username: 'ada', reason: null },
    engine: { state: 'error', detail: 'the sync folder is missing' },
    progress: { filesTotal: 5, filesDone: 1, bytesTotal: 25_000_000, bytesDone: 7_500_000, rate: 1_250_000, eta: 14 },
    transfers: [
      { ...transfer, id: '1', direction: 'upload', path: '/photos/beach.jpg', state: 'active', bytesDone: 2_500_000, rate: 1_250_000, eta: 2 },
      { ...transfer, id: '2', direction: 'download', path: '/notes.pdf', state: 'queued' },
      { ...transfer, id: '3', direction: 'upload', path: '/video.mp4', state: 'paused', bytesDone: 1_000_000 },
      { ...transfer, id: '4', direction: 'upload', path: '/big.iso', state: 'failed', error: { code: 'insufficient_storage', message: 'quota exceeded' } },
      { ...transfer, id: '5', direction: 'download', path: '/done.txt', state: 'done', bytesDone: 5_000_000 },
    ],
    activity: [{ at: Date.UTC(2026, 10, 30, 8), action: 'conflict', path: '/report.txt', otherPath: '/report (conflicted copy pc 2026-11-30 080000).txt' }],
    issues: [{ code: 'symlink', message: '/link is a symbolic link; links are not followed or synced', path: '/link' }],
    conflicts: [],
    massDelete: null,
    settings: { folder: '/home/ada/Netdisk', server: serverUrl, uploadLimit: 250_000, downloadLimit: 0, concurrency: 4, ignoreRules: '', startAtLogin: false, language },
    providers: [],
    capabilities: { changeLocation: false, builtInService: false },
    usesBuiltInService: false,
  };
}

test('the desktop app\'s first run, with the built-in service to choose', async ({ browser, world, ui }) => {
  for (const variant of VARIANTS) {
    const { context, page } = await openVariant(browser, variant);
    const snapshot = busySnapshot(world.serverUrl, variant.locale === 'en-US' ? 'en' : 'zh-CN');
    await serveFixedSnapshot(page, {
      ...snapshot,
      session: { state: 'signed_out', username: null, reason: { code: 'token_expired', message: 'the access token expired' } },
      engine: { state: 'signed_out' },
      transfers: [],
      providers: [{ id: 'qq', label: 'QQ' }, { id: 'oidc:corp', label: 'Corp SSO' }],
      capabilities: { changeLocation: true, builtInService: true },
      usesBuiltInService: true,
    });
    await page.goto(ui.origin);
    await expect(page.locator('#server-built-in')).toBeChecked();
    await expectNoAxeViolations(page, `desktop first run (${variant.name})`);
    await page.screenshot({ path: `${shots}/a11y-desktop-first-run-${variant.name}.png`, fullPage: true });
    await context.close();
  }
});

test('transfers in every state, a failed one and an engine issue', async ({ browser, world, ui }) => {
  for (const variant of VARIANTS) {
    const { context, page } = await openVariant(browser, variant);
    await serveFixedSnapshot(page, busySnapshot(world.serverUrl, variant.locale === 'en-US' ? 'en' : 'zh-CN'));
    await page.goto(ui.origin);
    await expect(page.locator('.transfer-failed')).toBeVisible();
    await page.locator('.issues summary').click();
    await expectNoAxeViolations(page, `overview with transfers (${variant.name})`);
    await page.screenshot({ path: `${shots}/a11y-transfers-${variant.name}.png`, fullPage: true });
    await context.close();
  }
});
