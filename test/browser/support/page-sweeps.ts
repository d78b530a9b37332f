import { expect } from '@jest/globals';
import type { Page } from 'playwright-core';
import { ready } from './console-session.js';
import { lowContrastText, overflowsSideways } from './page-checks.js';

/** A console page reached by deep link, and the name it marks itself ready with. */
export interface PageVisit {
  path: string;
  name: string;
}

/**
 * Each page by deep link: no button or link named like `writes` in its main part (a
 * read-only token's console has them absent, not disabled), and its text passes
 * WCAG AA contrast. Failures name the page.
 */
export async function expectReadOnly(page: Page, pages: PageVisit[], writes: RegExp) {
  for (const { path, name } of pages) {
    await page.goto(path);
    await ready(page, name);
    const main = page.getByRole('main');
    expect({
      path,
      controls: await main
        .getByRole('button', { name: writes })
        .or(main.getByRole('link', { name: writes }))
        .allTextContents(),
    }).toEqual({ path, controls: [] });
    expect({ path, lowContrast: await lowContrastText(page) }).toEqual({ path, lowContrast: [] });
  }
}

/** Each page by deep link fits the tab's width: nothing scrolls sideways. */
export async function expectNoSidewaysScroll(page: Page, pages: PageVisit[]) {
  for (const { path, name } of pages) {
    await page.goto(path);
    await ready(page, name);
    expect({ path, overflows: await overflowsSideways(page) }).toEqual({ path, overflows: false });
  }
}
