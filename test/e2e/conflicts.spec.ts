import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { download, uploadFile } from '../helpers/uploads.js';
import { expect, shots, test } from './fixtures.js';

test('a file changed on both sides shows up in Conflicts; keeping this computer\'s version resolves it', async ({ page, world }) => {
  const local = join(world.folder, 'report.txt');
  writeFileSync(local, 'first draft\n');
  await world.syncOnce();

  // Both sides change the synced file while no client runs.
  const auth = world.user!.auth;
  const meta = await fetch(`${world.api}/files/meta?path=%2Freport.txt`, { headers: auth });
  const { entry } = (await meta.json()) as { entry: { rev: string } };
  await uploadFile(world.api, auth, '/report.txt', new TextEncoder().encode('edited on the web\n'), { ifRev: entry.rev });
  writeFileSync(local, 'edited on this computer\n');

  // The sign-in from the --once run is resumed: no sign-in screen.
  const ui = await world.startUi();
  await page.goto(ui.url);
  await expect(page.getByRole('button', { name: 'Conflicts (1)' })).toBeVisible();
  await page.getByRole('button', { name: 'Conflicts (1)' }).click();
  const conflict = page.locator('.conflict[data-path="/report.txt"]');
  await expect(conflict).toContainText('Netdisk version');
  await expect(conflict).toContainText('/report.txt');
  await expect(conflict).toContainText(/report \(conflicted copy .+\)\.txt/);
  await page.screenshot({ path: `${shots}/conflicts.png` });

  await conflict.getByRole('button', { name: 'Keep this computer\'s version' }).click();
  await expect(page.getByText('No conflicts.')).toBeVisible();
  expect(readFileSync(local, 'utf8')).toBe('edited on this computer\n');
  await expect.poll(async () => (await download(world.api, auth, '/report.txt')).bytes.toString()).toBe('edited on this computer\n');
});
