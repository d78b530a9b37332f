import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/app-config.js';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { webhookSecretFromHeader } from '../../src/registries/webhook-secret.js';

/**
 * docker-compose.yml cannot run here (no Docker engine), so it is kept honest by
 * reading it: the names, ports and URLs it wires together must agree with the code.
 */
const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const yaml = <T>(path: string) => parse(read(path)) as T;

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
}
const compose = yaml<{ services: Record<string, Service> }>('docker-compose.yml');
const services = compose.services;
const regrelay = services.regrelay!;
const env = regrelay.environment ?? {};

describe('docker-compose.yml', () => {
  it('has PostgreSQL, regrelay, three registries, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual([
      'grafana',
      'hq',
      'postgres',
      'prometheus',
      'regrelay',
      'replica-a',
      'replica-b',
    ]);
    expect(regrelay.build).toBe('.');
  });

  it('sets only variables regrelay reads, and a configuration regrelay accepts', () => {
    for (const name of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(env);
    expect(config.databaseUrl).toBeDefined();
    expect(config.secretKey).toHaveLength(32);
  });

  it('points DATABASE_URL at the postgres service with its credentials', () => {
    const url = new URL(env.DATABASE_URL!);
    const pg = services.postgres!.environment!;
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it('publishes the port regrelay listens on, the one the Dockerfile exposes', () => {
    const port = loadConfig(env).port;
    expect(regrelay.ports).toContain(`${port}:${port}`);
    expect(read('Dockerfile')).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
    expect(read('Dockerfile')).toMatch(/^USER node$/m);
  });

  it('has each registry notify regrelay at its service name, port and webhook route', () => {
    const port = loadConfig(env).port;
    const secrets = new Set<string>();
    for (const name of ['hq', 'replica-a', 'replica-b']) {
      const mount = services[name]!.volumes!.find((v) =>
        v.endsWith(':/etc/docker/registry/config.yml:ro'),
      )!;
      const config = yaml<{
        notifications: { endpoints: { url: string; headers: Record<string, string[]> }[] };
        storage: { delete: { enabled: boolean } };
      }>(mount.split(':')[0]!);
      const endpoint = config.notifications.endpoints[0]!;
      expect(endpoint.url).toBe(`http://regrelay:${port}${DISTRIBUTION_WEBHOOK_PATH}`);
      // A value regrelay accepts as a registry's webhook secret, one per registry.
      const secret = webhookSecretFromHeader(endpoint.headers.Authorization?.[0]);
      expect(endpoint.headers.Authorization?.[0]).toBe(`Bearer ${secret}`);
      expect(secret).toBe(`demo-webhook-secret-${name}`);
      secrets.add(secret!);
      expect(config.storage.delete.enabled).toBe(true);
    }
    expect(secrets.size).toBe(3);
  });

  it('has Prometheus scrape regrelay and Grafana read Prometheus', () => {
    const port = loadConfig(env).port;
    const prom = yaml<{
      scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    expect(prom.scrape_configs[0]!.metrics_path).toBe('/metrics');
    expect(prom.scrape_configs[0]!.static_configs[0]!.targets).toEqual([`regrelay:${port}`]);
    expect(services.prometheus!.ports).toContain('9090:9090');
    const ds = yaml<{ datasources: { url: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(ds.datasources[0]!.url).toBe('http://prometheus:9090');
  });
});
