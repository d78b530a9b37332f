import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { requireBinary } from '../../support/binaries.js';

/**
 * Flags for the system Chromium, headless. The background-networking ones keep it
 * from calling out at start (this machine, and CI, have no network beyond loopback).
 */
const FLAGS = [
  '--no-sandbox', // tests run as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

/** Debian's Chromium (or REGRELAY_TEST_CHROMIUM), driven by playwright-core. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = requireBinary('chromium', process.env.REGRELAY_TEST_CHROMIUM);
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** A fresh browser profile (its own sessionStorage) at the given size. */
export async function newContext(
  browser: Browser,
  viewport = DESKTOP,
  baseURL?: string,
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport,
    baseURL,
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'UTC',
    colorScheme: 'light',
  });
  context.setDefaultTimeout(20_000);
  return context;
}

/** Where the tests leave screenshots (gitignored; docs/console.md shows chosen ones). */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../../test-artifacts/console');

export async function screenshot(
  page: Page,
  name: string,
  { fullPage = true }: { fullPage?: boolean } = {},
): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage, animations: 'disabled' });
  return path;
}
