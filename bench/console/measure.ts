import type { Page } from 'playwright-core';

export interface PageTarget {
  label: string;
  path: string;
  /** The `data-page` the console marks ready when its first content is on screen. */
  name: string;
}

export interface PageTiming {
  label: string;
  path: string;
  /** Navigation start to first content, first load (nothing cached). */
  coldMs: number;
  /** The same, later loads (assets cached, as a person clicking around has them). */
  warmMedianMs: number;
  warmMaxMs: number;
  /** API calls the page made while it loaded, and the largest answer's bytes. */
  apiCalls: number;
  largestApiBytes: number;
}

/**
 * Loads a page `rounds` times (a full navigation each time, so nothing lingers in
 * the app's memory) and reads the console's own performance mark: the moment the
 * page's first content is rendered, measured by the browser from navigation start.
 */
export async function timePage(
  page: Page,
  target: PageTarget,
  rounds: number,
): Promise<PageTiming> {
  const cdp = await page.context().newCDPSession(page);
  const samples: number[] = [];
  let apiCalls = 0;
  let largestApiBytes = 0;
  for (let round = 0; round < rounds; round++) {
    const sizes: Promise<number>[] = [];
    const onResponse = (response: import('playwright-core').Response) => {
      if (
        new URL(response.url()).pathname.startsWith('/api/') &&
        !response.url().endsWith('/events')
      )
        sizes.push(
          response.body().then(
            (b) => b.length,
            () => 0,
          ),
        );
    };
    page.on('response', onResponse);
    // The first load of each page starts with an empty cache, assets included.
    if (round === 0) await cdp.send('Network.clearBrowserCache');
    await page.goto(target.path, { waitUntil: 'commit' });
    const mark = `regrelay:ready:${target.name}`;
    await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, mark, {
      timeout: 30_000,
      polling: 50,
    });
    const at = await page.evaluate((m) => performance.getEntriesByName(m)[0]!.startTime, mark);
    page.off('response', onResponse);
    const answered = await Promise.all(sizes);
    samples.push(at);
    apiCalls = answered.length;
    largestApiBytes = Math.max(largestApiBytes, ...answered);
  }
  await cdp.detach();
  const warm = samples.slice(1).sort((a, b) => a - b);
  return {
    label: target.label,
    path: target.path,
    coldMs: round1(samples[0]!),
    warmMedianMs: round1(warm[Math.floor(warm.length / 2)] ?? samples[0]!),
    warmMaxMs: round1(warm[warm.length - 1] ?? samples[0]!),
    apiCalls,
    largestApiBytes,
  };
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;
