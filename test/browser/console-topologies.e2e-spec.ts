import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { createPipeline, createToken, promote } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { launchBrowser, PHONE, screenshot } from './support/browser.js';
import { nav, ready, signedIn } from './support/console-session.js';
import { lowContrastText } from './support/page-checks.js';
import { expectNoSidewaysScroll, expectReadOnly } from './support/page-sweeps.js';

const KiB = 1024;
const TREE = ['hq', 'east', 'west', 'east-1'] as const;
const PAIR = ['dc-a', 'dc-b'] as const;
/** The first stage of a pipeline whose second stage is the tree's root. */
const CI = 'ci' as const;
type Name = (typeof TREE)[number] | (typeof PAIR)[number] | typeof CI;
const secretOf = (name: Name) => `console-webhook-secret-of-${name}-0123456789`;

/** The node card of a registry on a topology page. */
const node = (page: Page, name: string) => page.locator(`.node-card[data-node="${name}"]`);

/**
 * The topology pages in Chromium against the whole app and real registries: a tree
 * built in the console follows a push at its root down every level, with lag, and
 * reaches "in sync"; a pair's held conflict is settled from the console and both
 * sides converge.
 */
describe('console: topologies', () => {
  let t: TestApp;
  const registries = {} as Record<Name, TestRegistry>;
  const clients = {} as Record<Name, RegistryClient>;
  const ids = {} as Record<Name, string>;
  let browser: Browser;
  let pairId: string;
  let viewer: string;

  beforeAll(async () => {
    [t, browser] = await Promise.all([
      startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_EVENT_COALESCE_MS: '200' }),
      launchBrowser(),
    ]);
    // The tree's root and both sides of the pair tell regrelay of their pushes.
    const notifies = new Set<Name>(['hq', ...PAIR]);
    await Promise.all(
      [...TREE, ...PAIR, CI].map(async (name) => {
        registries[name] = await startRegistry(
          notifies.has(name)
            ? {
                notifications: {
                  url: t.url + DISTRIBUTION_WEBHOOK_PATH,
                  headers: { Authorization: [`Bearer ${secretOf(name)}`] },
                },
              }
            : {},
        );
        clients[name] = new RegistryClient({ name, url: registries[name].url });
      }),
    );
    for (const name of [...TREE, ...PAIR, CI] as const)
      ids[name] = await addRegistry(
        t,
        name,
        registries[name],
        notifies.has(name) ? { webhookSecret: secretOf(name) } : {},
      );
    pairId = (
      await json<{ id: string }>(
        await t.api('/api/v1/topologies', {
          method: 'POST',
          json: {
            name: 'dc-pair',
            kind: 'dual-master',
            registries: [ids['dc-a'], ids['dc-b']],
            conflict: 'hold',
          },
        }),
        201,
      )
    ).id;
    viewer = await createToken(t, 'wall-screen', 'viewer');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await Promise.all(Object.values(clients).map((c) => c.close()));
    await Promise.all(Object.values(registries).map((r) => r.destroy()));
  });

  const push = (name: Name, repository: string, tag: string, seed: string) =>
    new ImageBuilder(clients[name]).image(repository, {
      tag,
      layers: [{ seed, size: 16 * KiB }],
    });
  const digestAt = async (name: Name, repository: string, tag: string) =>
    (await clients[name].headManifest(repository, tag).catch(() => undefined))?.digest;

  it('builds a tree in the console, follows a push down every level with its lag, and reaches "in sync"', async () => {
    await push('hq', 'library/app', 'v1', 'tree-v1'); // there before the tree: the backfill finds it missing
    const { context, page } = await signedIn(browser, t.url, t.adminToken);
    await nav(page, 'Topologies').click();
    await ready(page, 'topologies');
    await page.getByRole('link', { name: 'New topology' }).click();
    await ready(page, 'topology-form');
    await page.getByLabel('Name', { exact: true }).fill('hq-tree');
    await page.getByLabel('Root').selectOption(ids.hq);
    const below = [
      ['east', 'hq'],
      ['west', 'hq'],
      ['west', 'east'], // twice: refused at its field, then mended
    ] as const;
    for (const [i, [name, parent]] of below.entries()) {
      if (i > 0) await page.getByRole('button', { name: 'Add node' }).click();
      await page.getByLabel(`Node ${i + 1}`, { exact: true }).selectOption(ids[name]);
      await page.getByLabel(`Parent of node ${i + 1}`).selectOption(ids[parent]);
    }
    await page.getByRole('button', { name: 'Create topology' }).click();
    await page.locator('.form-errors').getByText('The topology was not saved').waitFor();
    const third = page.locator('.field', { has: page.getByLabel('Node 3', { exact: true }) });
    await third
      .locator('.field-error')
      .getByText(/a registry appears once per tree/)
      .waitFor();
    expect(await page.getByLabel('Node 3', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    await page.getByLabel('Node 3', { exact: true }).selectOption(ids['east-1']);
    await page.getByRole('button', { name: 'Create topology' }).click();
    await ready(page, 'topology');

    // Levels, root first: hq, then east and west, then east-1 under east.
    expect(await page.locator('.tree > li > .node-card').getAttribute('data-node')).toBe('hq');
    expect(
      await page
        .locator('.tree > li > ul > li > .node-card')
        .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-node'))),
    ).toEqual(['east', 'west']);
    expect(
      await page.locator('.node-card[data-node="east"] + ul .node-card').getAttribute('data-node'),
    ).toBe('east-1');
    // The backfill compared every node with the root: v1 was missing below it (and repaired).
    for (const name of ['east', 'west', 'east-1'])
      await node(page, name).locator('.node-state', { hasText: 'missing 1' }).waitFor();
    await waitFor('v1 everywhere', async () => {
      for (const name of TREE) if (!(await digestAt(name, 'library/app', 'v1'))) return undefined;
      return true;
    });

    // A push at the root travels down by webhook and hand-over; each node shows its lag.
    const v2 = await push('hq', 'library/app', 'v2', 'tree-v2');
    for (const name of ['east', 'west', 'east-1'])
      await node(page, name)
        .locator('.node-lag', { hasText: /\d s$|ms$/ })
        .waitFor();
    for (const name of TREE)
      expect(await digestAt(name, 'library/app', 'v2')).toBe(v2.descriptor.digest);

    // Sync now: every node compared again, nothing missing: in sync.
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByText('Sync started: every node is compared and repaired.').waitFor();
    for (const name of ['east', 'west', 'east-1'])
      await node(page, name)
        .locator('.node-state', { hasText: /^in sync$/ })
        .waitFor();
    await page.getByTestId('topology-summary').getByText('all 3 nodes in sync').waitFor();
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'topology-tree');

    await page.getByRole('button', { name: 'Show plan' }).click();
    await page
      .getByRole('dialog')
      .getByText('Nothing to copy or delete: everything selected is in place.')
      .waitFor();
    expect(await lowContrastText(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    await nav(page, 'Topologies').click();
    await ready(page, 'topologies');
    const row = page.locator('tr[data-topology="hq-tree"]');
    await row.getByText('all 3 nodes in sync').waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe('hq → 2 → 1');
    await context.close();
  });

  it("draws a pair's two sides with their lag, settles a held conflict from the console naming both digests, and both sides converge in sync", async () => {
    const [onA, onB, onlyA] = await Promise.all([
      push('dc-a', 'app', 'both', 'console-pair-a'),
      push('dc-b', 'app', 'both', 'console-pair-b'),
      push('dc-a', 'app', 'from-a', 'console-pair-from-a'),
    ]);
    const a = onA.descriptor.digest;
    const b = onB.descriptor.digest;
    const { context, page } = await signedIn(browser, t.url, t.adminToken);
    await page.goto(`/topologies/${pairId}`);
    await ready(page, 'topology');
    // Two boxes, copying both ways; what only dc-a had reaches dc-b, whose box shows the lag.
    const sides = page.getByRole('group', { name: 'The two sides of dc-pair' });
    expect(
      await sides
        .locator('.node-card')
        .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-node'))),
    ).toEqual(['dc-a', 'dc-b']);
    await sides.getByText('copies both ways; conflicts wait for a person').waitFor();
    await node(page, 'dc-b')
      .locator('.node-lag', { hasText: /\d s$|ms$/ })
      .waitFor();
    expect(await digestAt('dc-b', 'app', 'from-a')).toBe(onlyA.descriptor.digest);
    const held = page.locator('tr[data-conflict="app:both"]');
    await held.waitFor(); // found by the webhooks' comparison; the page polls
    expect(
      await held
        .locator('[data-digest]')
        .evaluateAll((d) => d.map((x) => x.getAttribute('data-digest'))),
    ).toEqual([a, b]);
    await page
      .getByTestId('topology-summary')
      .getByText(/1 conflict held/)
      .waitFor();

    await held.getByRole('button', { name: "Keep dc-b's" }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText("dc-b's digest wins and is copied to dc-a").waitFor();
    expect(await dialog.locator('code').allTextContents()).toEqual([b, a]);
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'topology-conflict-resolve', { fullPage: false });
    await dialog.getByRole('button', { name: "Keep dc-b's digest" }).click();
    await page
      .getByText("app:both settled: dc-b's digest is being copied to the other side.")
      .waitFor();
    await page
      .locator('tr[data-settled="app:both"]')
      .getByText("dc-b's digest kept: chosen by a person")
      .waitFor();
    expect(await page.locator('tr[data-conflict]').count()).toBe(0);

    await waitFor("both sides to hold dc-b's digest", async () =>
      (await digestAt('dc-a', 'app', 'both')) === b ? true : undefined,
    );
    expect(await digestAt('dc-b', 'app', 'both')).toBe(b);
    // The console sees it too: a dry run of a sync finds nothing to do.
    await page.getByRole('button', { name: 'Show plan' }).click();
    await page
      .getByRole('dialog')
      .getByText('Nothing to copy or delete: everything selected is in place.')
      .waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    // Sync now compares both sides: each says "in sync", the pair too.
    await page.getByRole('button', { name: 'Sync now' }).click();
    for (const name of PAIR)
      await node(page, name)
        .locator('.node-state', { hasText: /^in sync$/ })
        .waitFor();
    await page.getByTestId('topology-summary').getByText('both sides in sync').waitFor();
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'topology-pair');
    await context.close();
  });

  it('shows a promotion into the root of the tree with the leaves it reached and when', async () => {
    const pipeline = await createPipeline(t, {
      name: 'to-the-regions',
      stages: [
        { name: 'build', registryId: ids[CI] },
        { name: 'hq', registryId: ids.hq },
      ],
    });
    const image = await push(CI, 'library/app', 'v3', 'tree-v3');
    const asked = await promote(t, pipeline.id, {
      repository: 'library/app',
      tag: 'v3',
      toStage: 'hq',
    });
    expect(asked.status).toBe(202);
    const { context, page } = await signedIn(browser, t.url, viewer);
    await page.goto(`/promotions/${asked.body.id}`);
    await ready(page, 'promotion');
    // The leaves are the nodes without children; the page follows them until all are reached.
    const leaves = page.locator('section[aria-labelledby="leaves-title"]');
    await leaves.getByText('(2 of 2 reached)').waitFor();
    for (const leaf of ['east-1', 'west']) {
      const row = leaves.locator(`tr[data-leaf="${leaf}"]`);
      expect(await row.locator('td').first().textContent()).toBe('library/app');
      expect(await row.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    expect(await digestAt('east-1', 'library/app', 'v3')).toBe(image.descriptor.digest);
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'promotion-leaves');
    await context.close();
  });

  it('gives a viewer the topology pages without a control that changes anything, at any width', async () => {
    const tree = (
      await json<{ id: string; name: string }[]>(await t.api('/api/v1/topologies'))
    ).find((x) => x.name === 'hq-tree')!;
    const pages = [
      { path: '/topologies', name: 'topologies' },
      { path: `/topologies/${tree.id}`, name: 'topology' },
      { path: `/topologies/${pairId}`, name: 'topology' },
    ];
    const writes = /^(New topology|Sync now|Edit|Delete|Keep .*)$/;
    const { context, page } = await signedIn(browser, t.url, viewer);
    await expectReadOnly(page, pages, writes);
    // Reading is theirs: the dry-run plan opens for a viewer, by keyboard too.
    const showPlan = page.getByRole('button', { name: 'Show plan' });
    await showPlan.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByTestId('plan').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await showPlan.evaluate((el) => el === document.activeElement)).toBe(true);
    await context.close();

    const phone = await signedIn(browser, t.url, t.adminToken, PHONE);
    await expectNoSidewaysScroll(phone.page, pages);
    await phone.page.goto(`/topologies/${tree.id}`);
    await ready(phone.page, 'topology');
    await screenshot(phone.page, 'phone-topology');
    await phone.context.close();
  });
});
