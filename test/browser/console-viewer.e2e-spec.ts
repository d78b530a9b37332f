import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { RegistryClient } from '../../src/oci/index.js';
import { launchBrowser, PHONE, screenshot } from './support/browser.js';
import { nav, ready, signedIn } from './support/console-session.js';
import { ImageBuilder } from '../support/image-builder.js';
import { lowContrastText, overflowsSideways } from './support/page-checks.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addPolicy,
  addRegistry,
  finished,
  json,
  runToSuccess,
} from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** What changes things in the console; a viewer must see none of it. */
const WRITE_CONTROLS =
  /^(Add registry|Ping|Ping all|Edit|Rotate webhook secret|Delete|New policy|Run now|Enable|Disable|Stop|Reconcile now|Confirm held deletions.*)$/;

describe('console: read-only for viewers, at any width', () => {
  let t: TestApp;
  let source: TestRegistry, mirror: TestRegistry;
  let browser: Browser;
  let viewer: { id: string; token: string };
  let policyId: string, executionId: string, copyExecutionId: string;

  beforeAll(async () => {
    [source, mirror] = await Promise.all([startRegistry(), startRegistry()]);
    [t, browser] = await Promise.all([
      startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' }),
      launchBrowser(),
    ]);
    const client = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(client);
    for (const tag of ['1.0', '1.1']) {
      await build.image('team/api', { tag, layers: [{ seed: `api-${tag}`, size: 4096 }] });
    }
    // More tasks than one page holds: 55 tags of one small image.
    const many = await build.image('team/many', {
      tag: 't0',
      layers: [{ seed: 'many', size: 512 }],
    });
    for (let i = 1; i < 55; i++) {
      await client.putManifest('team/many', `t${i}`, many.bytes, many.descriptor.mediaType);
    }
    await client.close();
    const sourceId = await addRegistry(t, 'source', source);
    const mirrorId = await addRegistry(t, 'mirror', mirror);
    policyId = await addPolicy(t, {
      name: 'team-to-mirror',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: mirrorId, namespace: 'copies' }],
      filters: { repositories: ['team/**'] },
    });
    executionId = (await runToSuccess(t, policyId)).id;
    // A one-off copy: an execution no policy owns.
    const copy = await json<{ executionId: string }>(
      await t.api('/api/v1/copies', {
        method: 'POST',
        json: {
          items: [
            {
              source: { registryId: sourceId, repository: 'team/api', tag: '1.0' },
              destination: { registryId: mirrorId, repository: 'hotfix/api' },
            },
          ],
          reason: 'hotfix',
        },
      }),
      202,
    );
    copyExecutionId = copy.executionId;
    expect((await finished(t, copyExecutionId)).status).toBe('succeeded');
    viewer = await json(
      await t.api('/api/v1/tokens', {
        method: 'POST',
        json: { name: 'wall-screen', role: 'viewer' },
      }),
      201,
    );
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await Promise.all([source, mirror].map((r) => r?.destroy()));
  });

  const pages = () => [
    { path: '/', name: 'overview' },
    { path: '/registries', name: 'registries' },
    { path: '/policies', name: 'policies' },
    { path: `/policies/${policyId}`, name: 'policy' },
    { path: '/executions', name: 'executions' },
    { path: `/executions/${executionId}`, name: 'execution' },
  ];

  const writeControls = (page: Page) =>
    page
      .getByRole('main')
      .getByRole('button', { name: WRITE_CONTROLS })
      .or(page.getByRole('main').getByRole('link', { name: WRITE_CONTROLS }));

  it('gives a viewer every page without a single control that changes something', async () => {
    const { context, page } = await signedIn(browser, t.url, viewer.token);
    expect(await page.locator('.role').textContent()).toBe('viewer');
    for (const { path, name } of pages()) {
      await page.goto(path); // a deep link, as a bookmark or a reload would
      await ready(page, name);
      expect({ path, controls: await writeControls(page).allTextContents() }).toEqual({
        path,
        controls: [],
      });
      expect({ path, lowContrast: await lowContrastText(page) }).toEqual({ path, lowContrast: [] });
    }
    // Reading is theirs: the selection preview works for a viewer.
    await page.goto(`/policies/${policyId}`);
    await ready(page, 'policy');
    await page.getByRole('button', { name: 'Preview selection' }).click();
    await page.getByText(/These 2 repositories, 57 tags would be selected\./).waitFor();
    await screenshot(page, 'viewer-policy');
    // The admin sees the same page with its buttons.
    const admin = await signedIn(browser, t.url, t.adminToken);
    await admin.page.goto(`/policies/${policyId}`);
    await ready(admin.page, 'policy');
    expect(await writeControls(admin.page).allTextContents()).toEqual(
      expect.arrayContaining(['Run now', 'Disable', 'Edit', 'Delete', 'Reconcile now']),
    );
    await admin.context.close();
    await context.close();
  });

  it('pages the task table on the server, and filters executions', async () => {
    const { context, page } = await signedIn(browser, t.url, viewer.token);
    await page.goto(`/executions/${executionId}`);
    await ready(page, 'execution');
    const pager = page.getByRole('navigation', { name: 'Task pages' });
    expect(await pager.locator('.pager-range').textContent()).toBe('1–50 of 57');
    expect(await page.locator('tbody tr[data-task]').count()).toBe(50);
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.locator('.pager-range').getByText('51–57 of 57').waitFor();
    expect(await page.locator('tbody tr[data-task]').count()).toBe(7);
    expect(page.url()).toContain('offset=50');

    await nav(page, 'Executions').click();
    await ready(page, 'executions');
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await page.getByText('No executions match these filters.').waitFor();
    await page.getByLabel('Status').selectOption('succeeded');
    await page.locator(`tr[data-execution="${executionId}"]`).waitFor();
    await page.getByLabel('Policy').selectOption(policyId);
    await page.waitForURL(new RegExp(`policyId=${policyId}`));
    await page.locator(`tr[data-execution="${copyExecutionId}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-execution]').count()).toBe(1);

    // Executions no policy owns are shown by their owner, and filtered by its kind.
    await page.goto('/executions?ownerKind=copy');
    await ready(page, 'executions');
    expect(await page.locator('tr[data-execution]').count()).toBe(1);
    const copyRow = page.locator(`tr[data-execution="${copyExecutionId}"]`);
    expect(await copyRow.locator('td').first().textContent()).toBe(
      `copy ${copyExecutionId.slice(0, 8)}`,
    );
    await page.goto(`/executions/${copyExecutionId}`);
    await ready(page, 'execution');
    expect(await page.locator('.facts dd').first().textContent()).toBe(
      `copy ${copyExecutionId.slice(0, 8)}`,
    );
    await context.close();
  });

  it('says a no-op resync found every tag in place, counted as skipped and not listed', async () => {
    const resync = await runToSuccess(t, policyId);
    expect(resync.counts).toMatchObject({ total: 57, skipped: 57, inPlace: 57 });
    const { context, page } = await signedIn(browser, t.url, viewer.token);
    await page.goto(`/executions/${resync.id}`);
    await ready(page, 'execution');
    await page.getByText('No tasks.').waitFor();
    expect(await page.locator('[data-testid="in-place-note"]').textContent()).toBe(
      '57 tags already in place are counted as skipped, not listed.',
    );
    await page.getByRole('button', { name: 'skipped 57' }).waitFor();
    await context.close();
  });

  it('fits a phone-width screen: no sideways scrolling, navigation still there', async () => {
    const { context, page } = await signedIn(browser, t.url, t.adminToken, PHONE);
    for (const { path, name } of pages()) {
      await page.goto(path);
      await ready(page, name);
      await screenshot(page, `phone-${name}`);
      expect({ path, overflows: await overflowsSideways(page) }).toEqual({
        path,
        overflows: false,
      });
      expect(await nav(page, 'Executions').isVisible()).toBe(true);
    }
    await page.goto(`/executions/${executionId}`);
    await ready(page, 'execution');
    await screenshot(page, 'phone-execution', { fullPage: false });
    await page.goto('/');
    await ready(page, 'overview');
    await screenshot(page, 'phone-overview', { fullPage: false });
    await context.close();
  });

  it('returns to sign-in, saying why, once the token is revoked', async () => {
    const { context, page } = await signedIn(browser, t.url, viewer.token);
    expect((await t.api(`/api/v1/tokens/${viewer.id}`, { method: 'DELETE' })).status).toBe(204);
    // Any call the page makes from now on is refused; a navigation makes some at once.
    await page.goto('/registries');
    await page.getByLabel('API token').waitFor();
    await page.getByText(/no longer accepts this token/).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('regrelay.session'))).toBeNull();
    await context.close();
  });

  it('still says why after a reload, when the session ended before it', async () => {
    // The overview refreshes itself: a refusal may end the session just before the
    // user reloads or follows a link, and the page that loads must still say why.
    const [gone, next] = await Promise.all(
      ['second-screen', 'third-screen'].map(async (name) =>
        json<{ id: string; token: string }>(
          await t.api('/api/v1/tokens', { method: 'POST', json: { name, role: 'viewer' } }),
          201,
        ),
      ),
    );
    const { context, page } = await signedIn(browser, t.url, gone!.token);
    expect((await t.api(`/api/v1/tokens/${gone!.id}`, { method: 'DELETE' })).status).toBe(204);
    await nav(page, 'Registries').click(); // in the page: its calls are refused
    await page.getByText(/no longer accepts this token/).waitFor();
    await page.reload();
    await page.getByLabel('API token').waitFor();
    await page.getByText(/no longer accepts this token/).waitFor();
    // A new sign-in (back on the page it was on) forgets it.
    await page.getByLabel('API token').fill(next!.token);
    await page.keyboard.press('Enter');
    await ready(page, 'registries');
    expect(await page.evaluate(() => sessionStorage.getItem('regrelay.session-ended'))).toBeNull();
    await context.close();
  });
});
