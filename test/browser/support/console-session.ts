import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP, newContext } from './browser.js';

/** A browser tab signed in to the console with `token`, as a person would: typed and Enter. */
export async function signedIn(
  browser: Browser,
  url: string,
  token: string,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, viewport, url);
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('API token').fill(token);
  await page.keyboard.press('Enter');
  await page.locator('[data-page="overview"][data-ready="true"]').waitFor();
  return { context, page };
}

/** Waits until the page's first content is on screen (each page marks itself ready). */
export async function ready(page: Page, name: string): Promise<void> {
  await page.locator(`[data-page="${name}"][data-ready="true"]`).waitFor();
}

/** A link of the main navigation. */
export function nav(page: Page, label: string) {
  return page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true });
}
