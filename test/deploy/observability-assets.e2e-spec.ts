import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The Grafana dashboard and the Prometheus rules are kept honest against the metrics
 * the running app actually exposes: a renamed metric breaks this test, not a
 * dashboard nobody looks at until an incident.
 */
const root = join(import.meta.dirname, '../..');
const SUFFIXES = /_(bucket|count|sum)$/;

function metricNamesIn(text: string): string[] {
  return [
    ...new Set(
      [...text.matchAll(/\b(regrelay_[a-z_]+|process_[a-z_]+)\b/g)].map((m) =>
        m[1]!.replace(SUFFIXES, ''),
      ),
    ),
  ];
}

describe('dashboard and alert rules', () => {
  let t: TestApp;
  let exposed: Set<string>;
  beforeAll(async () => {
    t = await startTestApp();
    const text = await (await t.api('/metrics', { token: null })).text();
    exposed = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('charts only metrics regrelay exposes', () => {
    const dashboard = JSON.parse(
      readFileSync(join(root, 'deploy/grafana/dashboards/regrelay.json'), 'utf8'),
    ) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const used = metricNamesIn(
      dashboard.panels.flatMap((p) => (p.targets ?? []).map((x) => x.expr)).join('\n'),
    );
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('alerts only on metrics regrelay exposes', () => {
    const rules = parse(readFileSync(join(root, 'deploy/prometheus/rules.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const used = metricNamesIn(rules.groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n'));
    expect(used).toEqual(
      expect.arrayContaining([
        'regrelay_out_of_sync_artifacts',
        'regrelay_deletion_guard_trips_total',
      ]),
    );
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });
});
