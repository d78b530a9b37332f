import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  PodDisruptionBudget,
  type IPodDisruptionBudget,
} from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/app-config.js';
import { kustomize, type K8sObject } from '../support/kustomize.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * deploy/kubernetes cannot be applied here (no cluster), so it is kept honest by
 * rendering it with kustomize, validating each object against the Kubernetes and
 * prometheus-operator schemas, and checking what it wires together against the code.
 */
const root = join(import.meta.dirname, '../..');
const KUSTOMIZATIONS = [
  'deploy/kubernetes',
  'deploy/kubernetes/base',
  'deploy/kubernetes/overlays/production',
];

/** A model class per kind we ship; an object of another kind fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const rendered = new Map<string, K8sObject[]>();

function one<T>(objects: K8sObject[], kind: string): T {
  const found = objects.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as T;
}

const container = (d: IDeployment): IContainer => {
  const containers = d.spec!.template.spec!.containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
};

/** The environment the container gets, with synthetic values where a Secret supplies one. */
function containerEnv(c: IContainer): { env: Record<string, string>; secretKeys: string[] } {
  const env: Record<string, string> = {};
  const secretKeys: string[] = [];
  const synthetic: Record<string, string> = {
    DATABASE_URL: 'postgres://regrelay:pw@postgres.example:5432/regrelay',
    REGRELAY_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    REGRELAY_SECRET_KEY_PREVIOUS: Buffer.alloc(32, 2).toString('base64'),
    REGRELAY_ADMIN_TOKEN: 'an-admin-token-of-some-length',
  };
  for (const variable of c.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      expect(ref.name).toBe('regrelay');
      if (!ref.optional) secretKeys.push(ref.key);
      expect(synthetic[variable.name]).toBeDefined();
      env[variable.name] = synthetic[variable.name]!;
    } else {
      expect(variable.value).toBeDefined();
      env[variable.name] = variable.value!;
    }
  }
  return { env, secretKeys };
}

function preStopSeconds(c: IContainer): number {
  const command = c.lifecycle?.preStop?.exec?.command ?? [];
  if (command.length === 0) return 0;
  expect(command[0]).toBe('sleep');
  return Number(command[1]);
}

describe('deploy/kubernetes (kustomize)', () => {
  beforeAll(async () => {
    for (const dir of KUSTOMIZATIONS) rendered.set(dir, await kustomize(join(root, dir)));
  });

  it.each(KUSTOMIZATIONS)('%s renders objects that validate against their schemas', (dir) => {
    const objects = rendered.get(dir)!;
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
      expect(() => new Model(object as never).validate()).not.toThrow();
    }
  });

  it('the schemas do catch a wrong object (the validation is not vacuous)', () => {
    const deployment = structuredClone(
      one<IDeployment>(rendered.get('deploy/kubernetes')!, 'Deployment'),
    );
    container(deployment).ports![0]!.containerPort = 'http' as unknown as number;
    expect(() => new Deployment(deployment).validate()).toThrow(/containerPort/);
    const monitor = structuredClone(
      one<K8sObject>(rendered.get('deploy/kubernetes')!, 'ServiceMonitor'),
    );
    (monitor.spec as { endpoints: { interval: string }[] }).endpoints[0]!.interval = '30 seconds';
    expect(() => new ServiceMonitor(monitor as never).validate()).toThrow(/interval/);
  });

  it.each(KUSTOMIZATIONS)(
    '%s runs non-root on a read-only root filesystem, with volumes where regrelay may write',
    (dir) => {
      const d = one<IDeployment>(rendered.get(dir)!, 'Deployment');
      const pod = d.spec!.template.spec!;
      const c = container(d);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).not.toBe(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
      const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
      const { env } = containerEnv(c);
      const dataDir = loadConfig(env, '/app').dataDir;
      for (const path of ['/tmp', dataDir]) {
        const volume = volumes.get(mounts.get(path)!);
        expect(volume?.emptyDir).toBeDefined();
      }
      expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String) });
      expect(c.resources?.limits).toMatchObject({ memory: expect.any(String) });
    },
  );

  it.each(KUSTOMIZATIONS)(
    '%s sets only variables regrelay reads, a configuration it accepts, from Secret `regrelay`',
    (dir) => {
      const c = container(one<IDeployment>(rendered.get(dir)!, 'Deployment'));
      const { env, secretKeys } = containerEnv(c);
      for (const name of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(name);
      const config = loadConfig(env);
      expect(config.databaseUrl).toBeDefined();
      expect(config.secretKey).toHaveLength(32);
      expect(config.adminToken).toBeDefined();
      expect(secretKeys.sort()).toEqual(['admin-token', 'database-url', 'secret-key']);
      const http = c.ports!.find((p) => p.name === 'http')!;
      expect(http.containerPort).toBe(config.port);
    },
  );

  it.each(KUSTOMIZATIONS)(
    '%s gives the pod longer to stop than the preStop pause plus regrelay’s own shutdown timeout',
    (dir) => {
      const d = one<IDeployment>(rendered.get(dir)!, 'Deployment');
      const c = container(d);
      const shutdownSeconds = loadConfig(containerEnv(c).env).shutdownTimeoutMs / 1000;
      const grace = d.spec!.template.spec!.terminationGracePeriodSeconds!;
      expect(grace).toBeGreaterThan(preStopSeconds(c) + shutdownSeconds);
    },
  );

  it('runs two replicas in the base and more in production, which also pulls from a private registry', () => {
    const base = one<IDeployment>(rendered.get('deploy/kubernetes')!, 'Deployment');
    const prod = one<IDeployment>(
      rendered.get('deploy/kubernetes/overlays/production')!,
      'Deployment',
    );
    expect(base.spec!.replicas).toBe(2);
    expect(prod.spec!.replicas).toBeGreaterThan(2);
    expect(prod.metadata!.namespace).toBe('regrelay');
    expect(prod.spec!.template.spec!.imagePullSecrets).toEqual([{ name: 'regrelay-acr' }]);
    expect(container(prod).image).toMatch(/^[^/]+\/[^/]+\/regrelay:\d+\.\d+\.\d+$/);
    const memory = (d: IDeployment) => container(d).resources!.limits!.memory as string;
    expect(parseInt(memory(prod))).toBeGreaterThan(parseInt(memory(base)));
    for (const objects of rendered.values()) {
      const pdb = one<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
      const d = one<IDeployment>(objects, 'Deployment');
      // A budget that allows no disruption would block every node drain.
      expect(
        pdb.spec!.maxUnavailable ?? d.spec!.replicas! - Number(pdb.spec!.minAvailable),
      ).toBeGreaterThanOrEqual(1);
    }
  });

  it.each(KUSTOMIZATIONS)(
    '%s: Service, budget and ServiceMonitor select exactly the pods and Service it ships',
    (dir) => {
      const objects = rendered.get(dir)!;
      const d = one<IDeployment>(objects, 'Deployment');
      const podLabels = d.spec!.template.metadata!.labels!;
      const matches = (
        selector: Record<string, string> | undefined,
        labels: Record<string, string>,
      ) =>
        !!selector &&
        Object.keys(selector).length > 0 &&
        Object.entries(selector).every(([k, v]) => labels[k] === v);
      const service = one<IService>(objects, 'Service');
      expect(matches(service.spec!.selector, podLabels)).toBe(true);
      expect(matches(d.spec!.selector.matchLabels, podLabels)).toBe(true);
      const pdb = one<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
      expect(matches(pdb.spec!.selector!.matchLabels, podLabels)).toBe(true);
      const monitor = one<K8sObject>(objects, 'ServiceMonitor');
      const spec = monitor.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string }[];
      };
      expect(matches(spec.selector.matchLabels, service.metadata!.labels!)).toBe(true);
      expect(spec.endpoints[0]!.port).toBe(service.spec!.ports![0]!.name);
      expect(service.spec!.ports![0]!.targetPort).toBe('http');
    },
  );

  it('documents a `kubectl create secret` with exactly the keys the Deployment reads', () => {
    const docs = readFileSync(join(root, 'docs/operations.md'), 'utf8');
    // The command and its continuation lines (ending in a backslash).
    const lines = docs.split('\n');
    const start = lines.findIndex((l) =>
      /kubectl (-n \S+ )?create secret generic regrelay /.test(l),
    );
    expect(start).toBeGreaterThanOrEqual(0);
    let end = start;
    while (lines[end]!.endsWith('\\') && end < lines.length - 1) end++;
    const command = lines.slice(start, end + 1).join('\n');
    const keys = [...command.matchAll(/--from-literal=([a-z-]+)=/g)].map((m) => m[1]);
    const c = container(one<IDeployment>(rendered.get('deploy/kubernetes')!, 'Deployment'));
    expect(keys.sort()).toEqual(containerEnv(c).secretKeys.sort());
  });

  describe('against the app', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('every probe path and the scrape path answer 200 without a token', async () => {
      const objects = rendered.get('deploy/kubernetes/overlays/production')!;
      const c = container(one<IDeployment>(objects, 'Deployment'));
      const probes: IProbe[] = [c.startupProbe!, c.readinessProbe!, c.livenessProbe!];
      const paths = probes.map((p) => {
        expect(p.httpGet!.port).toBe('http');
        return p.httpGet!.path!;
      });
      expect(new Set(paths)).toEqual(new Set(['/health/live', '/health/ready']));
      const monitor = one<K8sObject>(objects, 'ServiceMonitor');
      const scrape = (monitor.spec as { endpoints: { path: string }[] }).endpoints[0]!.path;
      for (const path of [...paths, scrape]) {
        const res = await t.api(path, { token: null });
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        if (path === scrape) expect(await res.text()).toMatch(/^regrelay_/m);
        else await res.body?.cancel();
      }
    });
  });
});
