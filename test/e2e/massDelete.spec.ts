import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, shots, test } from './fixtures.js';

test('deleting most of the folder waits for the user; confirming in the UI lets the deletes go ahead', async ({ page, world }) => {
  mkdirSync(join(world.folder, 'notes'));
  for (let i = 0; i < 80; i++) writeFileSync(join(world.folder, 'notes', `note-${i}.txt`), `note ${i}\n`);
  await world.syncOnce();
  for (let i = 0; i < 60; i++) rmSync(join(world.folder, 'notes', `note-${i}.txt`));

  const ui = await world.startUi();
  await page.goto(ui.url);
  const hold = page.getByRole('alert').filter({ hasText: 'would be deleted' });
  await expect(hold).toContainText('60 files would be deleted on the netdisk side. Nothing was deleted yet.');
  await expect(page.getByText('Problems (1)')).toBeVisible();
  await page.screenshot({ path: `${shots}/mass-delete.png` });
  const listed = async () => {
    const response = await fetch(`${world.api}/files?path=%2Fnotes`, { headers: world.user!.auth });
    return ((await response.json()) as { entries: unknown[] }).entries.length;
  };
  expect(await listed()).toBe(80);

  await hold.getByRole('button', { name: 'Delete them' }).click();
  await expect(hold).toHaveCount(0);
  await expect(page.getByText('Problems (1)')).toHaveCount(0);
  await expect.poll(listed).toBe(20);
});
