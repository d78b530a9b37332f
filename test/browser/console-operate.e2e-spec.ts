import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { RegistryClient } from '../../src/oci/index.js';
import { launchBrowser, newContext, screenshot } from './support/browser.js';
import { nav, ready } from './support/console-session.js';
import { ImageBuilder } from '../support/image-builder.js';
import { lowContrastText, tabOrder } from './support/page-checks.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addPolicy,
  addRegistry,
  finished,
  json,
  runToSuccess,
  trigger,
} from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KiB = 1024;

/** Run now on the policies page, then wait on the execution's page until it ends so. */
async function runFromPolicyList(page: Page, policy: string, ends: 'succeeded' | 'failed') {
  await nav(page, 'Policies').click();
  await ready(page, 'policies');
  await page
    .locator(`tr[data-policy="${policy}"]`)
    .getByRole('button', { name: 'Run now' })
    .click();
  await ready(page, 'execution');
  await page.locator(`.page-head .badge-${ends}`).waitFor({ timeout: 60_000 });
}

/** The reasons the console shows under the field labelled `label`. */
const fieldError = (page: Page, label: string) =>
  page.locator('.field', { has: page.getByLabel(label, { exact: true }) }).locator('.field-error');

/**
 * The console in Debian's Chromium against the whole app (embedded PostgreSQL) and
 * real distribution registries: what an operator does, start to finish.
 */
describe('console: an operator at work', () => {
  let t: TestApp;
  let source: TestRegistry, mirror: TestRegistry, locked: TestRegistry;
  let sourceClient: RegistryClient, mirrorClient: RegistryClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [source, mirror, locked] = await Promise.all([
      startRegistry(),
      startRegistry(),
      startRegistry({ users: [{ username: 'relay', password: 'right' }] }),
    ]);
    [t, browser] = await Promise.all([
      startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_TASK_MAX_ATTEMPTS: '2' }),
      launchBrowser(),
    ]);
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    mirrorClient = new RegistryClient({ name: 'mirror', url: mirror.url });
    const build = new ImageBuilder(sourceClient);
    const push = (repository: string, tag: string, size = 64 * KiB) =>
      build.image(repository, { tag, layers: [{ seed: `${repository}:${tag}`, size }] });
    for (const tag of ['v1', 'v2', 'v1-debug']) await push('library/alpha', tag);
    await push('library/beta', 'v1');
    await push('big/blob', 'v1', 2048 * KiB);
    context = await newContext(browser, undefined, t.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    await Promise.all([sourceClient, mirrorClient].map((c) => c?.close()));
    await Promise.all([source, mirror, locked].map((r) => r?.destroy()));
  });

  it('signs in with the keyboard, refusing an unknown token', async () => {
    await page.goto('/');
    await screenshot(page, 'sign-in');
    expect(await tabOrder(page, 2)).toEqual(['API token', 'Sign in']);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.type('rr_not-a-token');
    await page.keyboard.press('Enter');
    await page.getByText('This token is unknown, revoked or expired.').waitFor();
    await page.getByLabel('API token').fill(t.adminToken);
    await page.keyboard.press('Enter');
    await ready(page, 'overview');
    expect(await page.locator('.role').textContent()).toBe('admin');
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toContain('regrelay.session');
    expect(
      await page.evaluate(() => Object.keys(localStorage).length + document.cookie.length),
    ).toBe(0);
  });

  it('adds two registries, showing field errors and the webhook secret once, with a copy button', async () => {
    await nav(page, 'Registries').click();
    await ready(page, 'registries');
    const order = await tabOrder(page, 12);
    expect(order).toEqual(
      expect.arrayContaining(['Skip to content', 'Registries', 'Add registry']),
    );

    await page.getByRole('button', { name: 'Add registry' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('Source Registry');
    await dialog.getByLabel('URL').fill(source.url);
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await dialog
      .locator('.field.invalid .field-error')
      .getByText(/name must be 1-63 lowercase/)
      .waitFor();
    expect(await dialog.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    await dialog.getByLabel('Name', { exact: true }).fill('source');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await dialog.getByText('Registry source added').waitFor();
    const secret = await dialog.getByTestId('secret').textContent();
    expect(secret).toMatch(/^rrwh_/);
    await screenshot(page, 'registry-secret');
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await dialog.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('button', { name: 'Add registry' }).click();
    await dialog.getByLabel('Name', { exact: true }).fill('mirror');
    await dialog.getByLabel('URL').fill(mirror.url);
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await dialog.getByText('Registry mirror added').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();

    const row = page.locator('tr[data-registry="source"]');
    await row.getByRole('button', { name: 'Rotate webhook secret' }).click();
    await dialog.getByText(/The current one stops working at once/).waitFor();
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await dialog.getByText('New webhook secret for source').waitFor();
    const rotated = await dialog.getByTestId('secret').textContent();
    expect(rotated).toMatch(/^rrwh_/);
    expect(rotated).not.toBe(secret);
    await dialog.getByRole('button', { name: 'Done' }).click();

    await row.getByRole('button', { name: 'Ping' }).click();
    await row.getByText(/reachable, \d+ ms/).waitFor();
    const listed = await json<{ id: string; name: string; hasWebhookSecret: boolean }[]>(
      await t.api('/api/v1/registries'),
    );
    expect(listed.map((r) => [r.name, r.hasWebhookSecret])).toEqual([
      ['mirror', true],
      ['source', true],
    ]);
    for (const r of listed) ids[r.name] = r.id;
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'registries');
  });

  it('creates a policy: the API’s errors at their fields, and the selection previewed', async () => {
    await nav(page, 'Policies').click();
    await page.getByRole('link', { name: 'New policy' }).click();
    await ready(page, 'policy-form');
    await page.getByLabel('Name', { exact: true }).fill('alpha-beta');
    await page.getByLabel('Source registry').selectOption(ids.source!);
    await page.getByLabel('Destination 1').selectOption(ids.mirror!);
    await page.getByLabel('Repositories', { exact: true }).fill('library/*');
    await page.getByLabel('Tags', { exact: true }).fill('re:(v');
    await page.getByLabel('Most tasks at once').fill('lots');
    // The request's shape is checked first, then the rules (patterns compile, registries exist).
    await page.getByRole('button', { name: 'Create policy' }).click();
    await fieldError(page, 'Most tasks at once')
      .getByText(/maxConcurrency must be/)
      .waitFor();
    expect(await page.locator('.form-errors').textContent()).toMatch(/maxConcurrency/);
    await page.getByLabel('Most tasks at once').fill('');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await fieldError(page, 'Tags')
      .getByText(/invalid pattern "re:\(v"/)
      .waitFor();
    expect(await page.getByLabel('Tags', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect(await lowContrastText(page)).toEqual([]);

    await page.getByLabel('Tags', { exact: true }).fill('v*');
    await page.getByLabel('Except tags').fill('*-debug');
    // Slow enough that the run is watched while it goes.
    await page.getByLabel('Bandwidth limit (bytes/s)').fill(String(48 * KiB));
    await page.getByRole('button', { name: 'Preview selection' }).click();
    await page
      .getByTestId('preview-summary')
      .getByText(/These 2 repositories, 3 tags would be selected\./)
      .waitFor();
    expect(await page.locator('.preview tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/library\/alpha\s*2\s*v1, v2/),
      expect.stringMatching(/library\/beta\s*1\s*v1/),
    ]);
    await screenshot(page, 'policy-form');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await ready(page, 'policy');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Policy alpha-beta');
    ids.policy = page.url().split('/').pop()!;
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.locator('.subtitle').getByText('disabled').waitFor();
    expect(await page.getByRole('button', { name: 'Run now' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.locator('.subtitle').getByText('enabled').waitFor();
  });

  it('runs it and follows its progress live, over the event stream, to 100 %', async () => {
    const streams: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/events')) streams.push(r.headers().authorization ?? '');
    });
    await page.getByRole('button', { name: 'Run now' }).click();
    await ready(page, 'execution');
    const progress = page.locator('[data-testid="execution-progress"] [role="progressbar"]');
    await page.locator('.page-head .badge-running').waitFor();
    const early = Number(await progress.getAttribute('aria-valuenow'));
    expect(early).toBeLessThan(100);
    await page.locator('tr[data-status="running"]').first().waitFor();
    await screenshot(page, 'execution-running');
    // The detail page does not poll: only the stream can move it to the end.
    await page
      .locator('[data-testid="execution-progress"] [role="progressbar"][aria-valuenow="100"]')
      .waitFor({
        timeout: 60_000,
      });
    await page.locator('.page-head .badge-succeeded').waitFor();
    expect(streams.length).toBeGreaterThanOrEqual(1);
    expect(streams[0]).toBe(`Bearer ${t.adminToken}`);
    expect(await page.locator('tr[data-status="succeeded"]').count()).toBe(3);
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'execution-succeeded');
    expect((await mirrorClient.listTags('library/alpha')).sort()).toEqual(['v1', 'v2']);

    await page.getByRole('link', { name: 'alpha-beta' }).click();
    await ready(page, 'policy');
    await page.getByText('Never compared yet.').waitFor();
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    await page.locator('#drift-title').locator('..').locator('..').getByText('in sync').waitFor();
  });

  it("shows a failed task's reason", async () => {
    ids.locked = await addRegistry(t, 'locked', locked); // registered without its credentials
    await addPolicy(t, {
      name: 'into-locked',
      sourceRegistryId: ids.source,
      destinations: [{ registryId: ids.locked }],
      filters: { repositories: ['library/beta'] },
    });
    await runFromPolicyList(page, 'into-locked', 'failed');
    await page.getByRole('button', { name: /^failed 1$/ }).click();
    const reason = page.locator('tr[data-status="failed"] .reason');
    await reason.getByText(/locked .*authentication failed/).waitFor();
    expect(page.url()).toContain('status=failed');
    await screenshot(page, 'execution-failed');

    // Mend it from the console: give the registry its credentials, run again.
    await nav(page, 'Registries').click();
    await ready(page, 'registries');
    await page.locator('tr[data-registry="locked"]').getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('relay');
    await dialog.getByLabel('Password').fill('right');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.locator('tr[data-registry="locked"]').getByText('relay + password').waitFor();
    await runFromPolicyList(page, 'into-locked', 'succeeded');
  });

  it('refuses to delete a registry that policies use, naming them', async () => {
    await nav(page, 'Registries').click();
    await ready(page, 'registries');
    await page
      .locator('tr[data-registry="mirror"]')
      .getByRole('button', { name: 'Delete' })
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByText('Policies use this registry; remove it from them first:').waitFor();
    expect(await dialog.locator('.blocking-policies li').allTextContents()).toEqual(['alpha-beta']);
    await dialog.getByRole('link', { name: 'alpha-beta' }).click();
    await ready(page, 'policies');
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect((await t.api(`/api/v1/registries/${ids.mirror}`)).status).toBe(200);
  });

  it('stops a running execution: "stopping…" until it has stopped', async () => {
    const id = await addPolicy(t, {
      name: 'slow-blob',
      sourceRegistryId: ids.source,
      destinations: [{ registryId: ids.mirror }],
      filters: { repositories: ['big/blob'] },
      bandwidthLimit: 16 * KiB, // two minutes for the layer: plenty of time to stop it
    });
    const executionId = await trigger(t, id);
    await page.goto('/');
    await ready(page, 'overview');
    await page.locator(`.running-row[data-execution="${executionId}"]`).waitFor();
    await screenshot(page, 'overview');
    await page.goto(`/executions/${executionId}`);
    await ready(page, 'execution');
    await page.locator('.page-head .badge-running').waitFor();
    // Every badge text the page shows from here on, however briefly.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { badges: string[] }).badges = seen;
      const head = document.querySelector('.page-head')!;
      new MutationObserver(() => {
        const text = head.querySelector('.badge')?.textContent ?? '';
        if (seen[seen.length - 1] !== text) seen.push(text);
      }).observe(head, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop execution' }).click();
    await page.locator('.page-head .badge-stopped').waitFor({ timeout: 30_000 });
    const badges = await page.evaluate(() => (window as unknown as { badges: string[] }).badges);
    expect(badges).toContain('stopping…');
    expect(badges[badges.length - 1]).toBe('stopped');
    expect(await page.getByRole('button', { name: 'Stop', exact: true }).count()).toBe(0);
    expect((await finished(t, executionId)).status).toBe('stopped');
  });

  it('confirms held deletions in a dialog that lists them, behind a checkbox', async () => {
    const build = new ImageBuilder(sourceClient);
    const pushed: Record<string, string> = {};
    for (const tag of ['a', 'b', 'c', 'd']) {
      const image = await build.image('del/app', {
        tag,
        layers: [{ seed: `del-${tag}`, size: KiB }],
      });
      pushed[tag] = image.descriptor.digest;
    }
    const id = await addPolicy(t, {
      name: 'with-deletes',
      sourceRegistryId: ids.source,
      destinations: [{ registryId: ids.mirror }],
      filters: { repositories: ['del/app'] },
      deletion: true,
    });
    await runToSuccess(t, id);
    for (const tag of ['a', 'b', 'c']) await sourceClient.deleteManifest('del/app', pushed[tag]!);
    const held = await finished(t, await trigger(t, id));
    expect(held.counts.held).toBe(3);

    await page.goto(`/executions/${held.id}`);
    await ready(page, 'execution');
    await page.getByRole('button', { name: 'Confirm held deletions (3)' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('list', { name: 'Deletions to confirm' }).waitFor();
    expect((await dialog.getByRole('listitem').allTextContents()).sort()).toEqual([
      'mirror: del/app:a',
      'mirror: del/app:b',
      'mirror: del/app:c',
    ]);
    const confirm = dialog.getByRole('button', { name: 'Delete them' });
    expect(await confirm.isDisabled()).toBe(true);
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'held-deletions');
    await dialog.getByLabel(/I understand that these 3 tags will be deleted/).check();
    await confirm.click();
    await page.waitForURL((url) => !url.pathname.endsWith(held.id));
    await ready(page, 'execution');
    await page.locator('.page-head .badge-succeeded').waitFor({ timeout: 60_000 });
    expect(await page.locator('.message').textContent()).toContain(held.id);
    expect(await mirrorClient.listTags('del/app')).toEqual(['d']);
  });
});
