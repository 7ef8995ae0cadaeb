import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

/** WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices (one h1, landmarks, heading order). */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** Both languages in both color schemes: contrast and text length change with each. */
export const VARIANTS = (['en-US', 'zh-CN'] as const).flatMap((locale) =>
  (['light', 'dark'] as const).map((colorScheme) => ({ locale, colorScheme, name: `${locale}-${colorScheme}` })));
export type Variant = (typeof VARIANTS)[number];

export async function openVariant(browser: Browser, variant: Variant): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: variant.locale, colorScheme: variant.colorScheme });
  return { context, page: await context.newPage() };
}

/** Fails (softly) with each rule broken on the page as it is now, the elements and axe's reason (e.g. the contrast ratio it measured). */
export async function expectNoAxeViolations(page: Page, screen: string): Promise<void> {
  // Let transitions (the progress bars) settle, so colors are measured as shown.
  await page.waitForTimeout(400);
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const found = violations.map((violation) => ({
    rule: violation.id,
    help: violation.help,
    nodes: violation.nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary ?? ''}`.replace(/\s+/g, ' ')),
  }));
  // Soft: one run reports every screen that fails, not only the first.
  expect.soft(found, `axe on ${screen}`).toEqual([]);
}
