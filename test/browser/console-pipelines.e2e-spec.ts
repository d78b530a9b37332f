import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import type { PipelineStateDto } from '../../src/promotions/dto/state.dto.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { createToken, promote, promotionIn } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { launchBrowser, PHONE, screenshot } from './support/browser.js';
import { nav, ready, signedIn } from './support/console-session.js';
import { lowContrastText } from './support/page-checks.js';
import { expectNoSidewaysScroll, expectReadOnly } from './support/page-sweeps.js';

const STAGES = ['dev', 'staging', 'prod'] as const;
const SECRET = 'dev-webhook-secret-for-the-console-pipeline';

/** The board's cell of a repository in a stage. */
const cell = (page: Page, stage: string, repository = 'team/app') =>
  page.locator(`tr[data-repository="${repository}"] td[data-stage="${stage}"]`);
/** The digest a tag points at in a board cell. */
const tagged = (page: Page, stage: string, tag: string) =>
  cell(page, stage).locator(`li[data-tag="${tag}"] [data-digest]`);

/**
 * The pipeline pages in Chromium against the whole app and three real registries:
 * a pipeline defined in the console, a digest promoted dev → staging → prod (a dry run
 * first, prod behind an approval given with a second token), the gates' reasons and the
 * stage columns followed as they change, then a rollback and its release; the pipeline
 * edited to soak a day too, and a promotion rejected with each gate's reason shown.
 */
describe('console: pipelines and promotions', () => {
  let t: TestApp;
  const registries = {} as Record<(typeof STAGES)[number], TestRegistry>;
  const ids = {} as Record<(typeof STAGES)[number], string>;
  let devClient: RegistryClient;
  let browser: Browser;
  let lead: string, alice: string, viewer: string;
  let pipelineId: string;
  let v1: PushedManifest, v2: PushedManifest;
  let admin: { context: BrowserContext; page: Page };
  let prodPromotion: string;

  beforeAll(async () => {
    [t, browser] = await Promise.all([
      startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_EVENT_COALESCE_MS: '200' }),
      launchBrowser(),
    ]);
    await Promise.all(
      STAGES.map(async (stage) => {
        registries[stage] = await startRegistry(
          stage === 'dev'
            ? {
                notifications: {
                  url: t.url + DISTRIBUTION_WEBHOOK_PATH,
                  headers: { Authorization: [`Bearer ${SECRET}`] },
                },
              }
            : {},
        );
      }),
    );
    for (const stage of STAGES)
      ids[stage] = await addRegistry(
        t,
        `${stage}-registry`,
        registries[stage],
        stage === 'dev' ? { webhookSecret: SECRET } : {},
      );
    devClient = new RegistryClient({ name: 'dev', url: registries.dev.url });
    [lead, alice, viewer] = await Promise.all([
      createToken(t, 'ops-lead', 'admin'),
      createToken(t, 'alice', 'operator'),
      createToken(t, 'wall-screen', 'viewer'),
    ]);
  });
  afterAll(async () => {
    await admin?.context.close();
    await browser?.close();
    await t?.close();
    await devClient?.close();
    await Promise.all(Object.values(registries).map((r) => r.destroy()));
  });

  const push = (tag: string) =>
    new ImageBuilder(devClient).image('team/app', {
      tag,
      layers: [{ seed: `console-app-${tag}`, size: 24 * 1024 }],
    });
  const state = async () =>
    json<PipelineStateDto>(await t.api(`/api/v1/pipelines/${pipelineId}/state`));

  it('lets an admin define a pipeline as JSON, with the reasons of a refused one', async () => {
    admin = await signedIn(browser, t.url, lead);
    const { page } = admin;
    await nav(page, 'Pipelines').click();
    await ready(page, 'pipelines');
    await page.getByRole('link', { name: 'New pipeline' }).click();
    await ready(page, 'pipeline-form');
    const definition = (required: number) =>
      JSON.stringify(
        {
          name: 'app-release',
          stages: [
            { name: 'dev', registryId: ids.dev },
            { name: 'staging', registryId: ids.staging, repository: 'staging/{repository}' },
            {
              name: 'prod',
              registryId: ids.prod,
              repository: 'prod/{repository}',
              gates: [{ type: 'approval', required }],
            },
          ],
        },
        null,
        2,
      );
    await page.getByLabel('Definition (JSON)').fill(definition(0));
    await page.getByRole('button', { name: 'Create pipeline' }).click();
    await page.locator('.form-errors').getByText('stages[2].gates[0].required').waitFor();
    await page.getByLabel('Definition (JSON)').fill(definition(1));
    await page.getByRole('button', { name: 'Create pipeline' }).click();
    await ready(page, 'pipeline');
    pipelineId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByText('Nothing promoted or seen yet.').waitFor();
    expect(await lowContrastText(page)).toEqual([]);
  });

  it('promotes through two stages: a dry run first, then prod behind an approval by a second token', async () => {
    // What prod held before: 1.0 as stable, promoted through the API.
    v1 = await push('1.0');
    const toStaging = await promote(t, pipelineId, {
      repository: 'team/app',
      tag: '1.0',
      toStage: 'staging',
    });
    await promotionIn(t, toStaging.body.id, ['succeeded']);
    const toProd = await promote(t, pipelineId, {
      repository: 'team/app',
      tag: '1.0',
      targetTag: 'stable',
      toStage: 'prod',
    });
    await t.api(`/api/v1/promotions/${toProd.body.id}/approve`, {
      method: 'POST',
      json: {},
      token: alice,
    });
    await promotionIn(t, toProd.body.id, ['succeeded']);

    // 1.1 is pushed to dev, whose webhook tells regrelay: it shows in dev's column.
    v2 = await push('1.1');
    await waitFor('1.1 to be known in dev', async () =>
      (await state()).stages[0]!.repositories[0]?.digests.some(
        (d) => d.digest === v2.descriptor.digest,
      )
        ? true
        : undefined,
    );
    const { page } = admin;
    await page.goto(`/pipelines/${pipelineId}`);
    await ready(page, 'pipeline');
    await cell(page, 'dev').locator(`[data-digest-state="${v2.descriptor.digest}"]`).waitFor();
    expect(await cell(page, 'dev').getByText('pushed', { exact: false }).count()).toBeGreaterThan(
      0,
    );
    expect(await tagged(page, 'prod', 'stable').getAttribute('data-digest')).toBe(
      v1.descriptor.digest,
    );

    // Into staging by tag: the dry run resolves it and says what the stage lacks.
    await page.getByRole('button', { name: 'Promote…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Tag', { exact: true }).fill('1.1');
    const promoteInto = dialog.getByRole('button', { name: /^Promote into / });
    expect(await promoteInto.isDisabled()).toBe(true); // not before a dry run
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    const dry = dialog.getByTestId('dry-run');
    await dry.getByText('Would promote now: every gate passes.').waitFor();
    expect(await dry.locator('code').first().textContent()).toBe(v2.descriptor.digest);
    expect(await dry.getByTestId('dry-run-plan').textContent()).toMatch(
      /^1 manifest and 2 blobs \(\d+\.\d+ KiB\) the stage lacks; 0 already there$/,
    );
    await dry.getByText('No gates: the stage takes the digest as it is.').waitFor();
    expect(await lowContrastText(page)).toEqual([]);
    await promoteInto.click();
    await ready(page, 'promotion');
    await page.locator('.page-head .badge-succeeded').waitFor();

    // From staging's column into prod, as stable: it waits for an approval, and says so.
    await page.getByRole('link', { name: 'app-release' }).click();
    await ready(page, 'pipeline');
    await tagged(page, 'staging', '1.1').waitFor();
    expect(await tagged(page, 'staging', '1.1').getAttribute('data-digest')).toBe(
      v2.descriptor.digest,
    );
    await cell(page, 'staging')
      .locator('li[data-tag="1.1"]')
      .getByRole('button', { name: 'Promote to prod' })
      .click();
    await dialog.getByLabel('Write tag').fill('stable');
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    await dry.getByText('Would wait for its gates.').waitFor();
    const gate = dry.locator('tr[data-gate="approval"]');
    expect(await gate.locator('.badge').textContent()).toBe('pending');
    expect(await gate.locator('.gate-reason').textContent()).toMatch(
      /^waiting for approval: 0 of 1 approvals from distinct /,
    );
    expect(await gate.locator('th').textContent()).toContain('1 approval');
    await screenshot(page, 'promote-dry-run', { fullPage: false });
    await promoteInto.click();
    await ready(page, 'promotion');
    prodPromotion = new URL(page.url()).pathname.split('/').pop()!;
    await page.locator('.page-head .badge-waiting').waitFor();
    expect(await page.getByTestId('promotion-message').textContent()).toMatch(
      /^waiting for approval \(waiting for approval: 0 of 1 approvals/,
    );
    // The requester's own approval is refused, and the console says why.
    await page.getByRole('button', { name: 'Approve' }).click();
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await dialog.getByText(/the requester cannot approve their own promotion/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // A hidden tab asks nothing; shown again, it asks at once.
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith(`/api/v1/promotions/${prodPromotion}`)) asked.push(r.url());
    });
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((s) => {
        Object.defineProperty(document, 'visibilityState', { value: s, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    await page.evaluate(() => new Promise((settled) => setTimeout(settled, 100))); // re-rendered hidden
    asked.length = 0;
    await page.waitForTimeout(3_000); // longer than the 2 s the page polls at while shown
    expect(asked).toEqual([]);
    const again = page.waitForRequest((r) =>
      r.url().endsWith(`/api/v1/promotions/${prodPromotion}`),
    );
    await setVisibility('visible');
    await again;

    // Alice, an operator with her own token, approves; both pages follow it to the end.
    const second = await signedIn(browser, t.url, alice);
    await second.page.goto(`/promotions/${prodPromotion}`);
    await ready(second.page, 'promotion');
    await second.page.getByRole('button', { name: 'Approve' }).click();
    await second.page.getByRole('dialog').getByLabel('Comment').fill('release notes checked');
    await second.page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await second.page.locator('.page-head .badge-succeeded').waitFor();
    await page.locator('.page-head .badge-succeeded').waitFor(); // polled, not reloaded
    const passed = page.locator('tr[data-gate="approval"]');
    expect(await passed.locator('.badge').textContent()).toBe('passed');
    expect(await passed.locator('.gate-reason').textContent()).toBe('approved by alice');
    await page.locator('li[data-decision="approve"]').getByText('release notes checked').waitFor();
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'promotion');

    // Alice may promote but not change the pipeline: those buttons are the admin's.
    await second.page.getByRole('link', { name: 'app-release' }).click();
    await ready(second.page, 'pipeline');
    const main = second.page.getByRole('main');
    expect(await main.getByRole('button', { name: 'Promote…' }).count()).toBe(1);
    expect(
      await main
        .getByRole('link', { name: 'Edit pipeline' })
        .or(main.getByRole('button', { name: 'Delete pipeline' }))
        .count(),
    ).toBe(0);
    await nav(second.page, 'Pipelines').click();
    await ready(second.page, 'pipelines');
    expect(await second.page.getByRole('link', { name: 'New pipeline' }).count()).toBe(0);
    await second.context.close();

    await page.getByRole('link', { name: 'app-release' }).click();
    await ready(page, 'pipeline');
    expect(await tagged(page, 'prod', 'stable').getAttribute('data-digest')).toBe(
      v2.descriptor.digest,
    );
    expect(await tagged(page, 'prod', '1.1').count()).toBe(0);
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'pipeline');
  });

  it('rolls prod back to the digest before, holding auto-promotion until released', async () => {
    const { page } = admin;
    await cell(page, 'prod')
      .locator('li[data-tag="stable"]')
      .getByRole('button', { name: 'Roll back' })
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/The tag now points at/).waitFor();
    await dialog.getByLabel('Reason').fill('error rate after 1.1');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.getByText('Rollback of team/app:stable in prod requested.').waitFor();
    await waitFor('prod stable to point at 1.0 again', async () =>
      (await tagged(page, 'prod', 'stable').getAttribute('data-digest')) === v1.descriptor.digest
        ? true
        : undefined,
    );
    const hold = cell(page, 'prod').locator('.hold');
    await hold.getByText('Auto-promotion held').waitFor();
    expect(await hold.textContent()).toContain('by ops-lead');
    const history = page.locator('section[aria-labelledby="history-title"]');
    await history.locator('tr[data-promotion]').first().getByText('rollback').waitFor();
    expect(await lowContrastText(page)).toEqual([]);
    await screenshot(page, 'pipeline-rollback');

    await hold.getByRole('button', { name: 'Release' }).click();
    await dialog.getByRole('button', { name: 'Release' }).click();
    await page.getByText('Auto-promotion into prod resumed for team/app.').waitFor();
    await cell(page, 'prod').locator('.hold').waitFor({ state: 'detached' });
  });

  it("rejects a promotion from the console with a comment, every gate's reason shown: the pipeline edited to soak a day as well", async () => {
    const { page } = admin;
    // The admin adds a second gate to prod in the console: a day in staging first.
    await page.getByRole('link', { name: 'Edit pipeline' }).click();
    await ready(page, 'pipeline-form');
    const definition = JSON.parse(await page.getByLabel('Definition (JSON)').inputValue()) as {
      stages: { name: string; gates: object[] }[];
    };
    definition.stages[2]!.gates.push({ type: 'soak', seconds: 86_400 });
    await page.getByLabel('Definition (JSON)').fill(JSON.stringify(definition, null, 2));
    await page.getByRole('button', { name: 'Save pipeline' }).click();
    await ready(page, 'pipeline');
    expect(await page.locator('th[data-stage="prod"] .stage-gates').textContent()).toBe(
      'gates: 1 approval; soaked 1 d 0 h in the previous stage',
    );

    // 1.1 again, as candidate: the dry run and the promotion give each gate's reason.
    await cell(page, 'staging')
      .locator('li[data-tag="1.1"]')
      .getByRole('button', { name: 'Promote to prod' })
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Write tag').fill('candidate');
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    const dry = dialog.getByTestId('dry-run');
    await dry.getByText('Would wait for its gates.').waitFor();
    const reasons = async (where: Page | typeof dry) =>
      Object.fromEntries(
        await where
          .locator('tr[data-gate]')
          .evaluateAll((rows) =>
            rows.map((r) => [
              r.getAttribute('data-gate'),
              `${r.querySelector('.badge')?.textContent}: ${r.querySelector('.gate-reason')?.textContent}`,
            ]),
          ),
      ) as Record<string, string>;
    const soaking =
      /^pending: soaking: in stage staging since \S+ \(promoted there\); 86400 s are needed, until \S+$/;
    expect(await reasons(dry)).toEqual({
      approval: expect.stringMatching(/^pending: waiting for approval: 0 of 1 approvals/),
      soak: expect.stringMatching(soaking),
    });
    await dialog.getByRole('button', { name: /^Promote into / }).click();
    await ready(page, 'promotion');
    const candidate = new URL(page.url()).pathname.split('/').pop()!;
    await page.locator('.page-head .badge-waiting').waitFor();

    // Alice rejects it with a comment; the approval gate refuses with it, the soak keeps its reason.
    const second = await signedIn(browser, t.url, alice);
    await second.page.goto(`/promotions/${candidate}`);
    await ready(second.page, 'promotion');
    await second.page.getByRole('button', { name: 'Reject' }).click();
    const reject = second.page.getByRole('dialog');
    await reject
      .getByText('The promotion is refused, with your comment.', { exact: false })
      .waitFor();
    await reject.getByLabel('Comment').fill('not during the freeze');
    await reject.getByRole('button', { name: 'Reject' }).click();
    await second.page.locator('.page-head .badge-refused').waitFor();
    expect(await reasons(second.page)).toEqual({
      approval: 'refused: rejected by alice: not during the freeze',
      // Cut short by the rejection: not decided, rather than still soaking.
      soak: 'skipped: not decided: the promotion was refused',
    });
    // Ended: nothing is looked at again, so no gate says when it would be.
    expect(
      await second.page
        .locator('tr[data-gate="soak"]')
        .getByText(/^again /)
        .count(),
    ).toBe(0);
    await second.page
      .locator('li[data-decision="reject"]')
      .getByText('not during the freeze')
      .waitFor();
    expect(await second.page.getByRole('button', { name: /^(Approve|Reject)$/ }).count()).toBe(0);
    expect(await lowContrastText(second.page)).toEqual([]);
    await screenshot(second.page, 'promotion-rejected');
    await second.context.close();

    // The admin's page follows it (polled); prod never got the tag.
    await page.locator('.page-head .badge-refused').waitFor();
    await page.getByRole('link', { name: 'app-release' }).click();
    await ready(page, 'pipeline');
    expect(await tagged(page, 'prod', 'candidate').count()).toBe(0);
    const history = page.locator('section[aria-labelledby="history-title"]');
    await history.locator(`tr[data-promotion="${candidate}"]`).getByText('refused').waitFor();
  });

  it('gives a viewer the pipeline pages without a control that changes anything, at any width', async () => {
    const pages = [
      { path: '/pipelines', name: 'pipelines' },
      { path: `/pipelines/${pipelineId}`, name: 'pipeline' },
      { path: `/promotions/${prodPromotion}`, name: 'promotion' },
    ];
    const writes =
      /^(New pipeline|Edit pipeline|Delete pipeline|Promote…|Promote to .*|Roll back|Release|Approve|Reject)$/;
    const { context, page } = await signedIn(browser, t.url, viewer);
    await expectReadOnly(page, pages, writes);
    await context.close();
    const phone = await signedIn(browser, t.url, lead, PHONE);
    await expectNoSidewaysScroll(phone.page, pages);
    await screenshot(phone.page, 'phone-promotion');
    await phone.context.close();
  });
});
