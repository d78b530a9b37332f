import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DISTRIBUTION_WEBHOOK_PATH, HARBOR_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import type { ExecutionDto } from '../../src/replication/dto/execution.dto.js';
import type { ApiCaller } from './replication-api.js';
import { json } from './replication-api.js';
import type { TestApp } from './test-app.js';

export const DISTRIBUTION_EVENTS_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** One distribution notification event, as distribution 2.8 writes it. */
export function distributionEvent(
  action: string,
  target: { repository: string; digest?: string; tag?: string; mediaType?: string },
  id: string = randomUUID(),
): Record<string, unknown> {
  return {
    id,
    timestamp: new Date().toISOString(),
    action,
    target: { size: 100, length: 100, ...target },
    request: { id: randomUUID(), addr: '127.0.0.1:40000', method: 'PUT', useragent: 'test' },
    actor: {},
    source: { addr: 'test:5000', instanceID: randomUUID() },
  };
}

/** A Harbor "Default" webhook payload for one artifact. */
export function harborPayload(
  type: string,
  repository: string,
  resource: { digest: string; tag?: string },
  occurAt = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  const [namespace, ...rest] = repository.split('/');
  return {
    type,
    occur_at: occurAt,
    operator: 'admin',
    event_data: {
      resources: [
        {
          digest: resource.digest,
          tag: resource.tag ?? resource.digest,
          resource_url: `harbor.test/${repository}:${resource.tag ?? resource.digest}`,
        },
      ],
      repository: {
        date_created: occurAt - 60,
        name: rest.join('/'),
        namespace,
        repo_full_name: repository,
        repo_type: 'private',
      },
    },
  };
}

/**
 * A Harbor webhook in the CloudEvents format, as Harbor 2.8+'s formatter writes it
 * (structured mode; the Default payload's event_data as `data`).
 */
export function harborCloudEvent(
  type: 'harbor.artifact.pushed' | 'harbor.artifact.deleted' | string,
  repository: string,
  resource: { digest: string; tag?: string },
  id: string = randomUUID(),
  at = new Date(),
): Record<string, unknown> {
  const data = harborPayload('UNUSED', repository, resource, Math.floor(at.getTime() / 1000))
    .event_data as Record<string, unknown>;
  return {
    specversion: '1.0',
    requestid: randomUUID(),
    id,
    source: '/projects/1/webhook/policies/3',
    type,
    datacontenttype: 'application/json',
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    data,
    operator: 'robot$project+ci',
  };
}

/** `at` as ACR writes times: "2016-11-29 12:25:46", wall time in `timeZone`. */
export function acrTime(at: Date, timeZone: string): string {
  return at.toLocaleString('sv-SE', { timeZone, hour12: false });
}

/**
 * An ACR trigger notification laid out as ACR's documented sample is: indented, a
 * space after each comma that ends a line, fields regrelay does not read.
 */
export function acrPayloadText(push: {
  namespace: string;
  name: string;
  tag: string;
  digest: string;
  pushedAt: string;
}): string {
  const fields = (entries: [string, string][], indent: string) =>
    entries.map(([k, v]) => `${indent}${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', \n');
  return [
    '{',
    '    "push_data": {',
    fields(
      [
        ['digest', push.digest],
        ['pushed_at', push.pushedAt],
        ['tag', push.tag],
      ],
      '        ',
    ),
    '    }, ',
    '    "repository": {',
    fields(
      [
        ['date_created', '2016-10-28 21:31:42'],
        ['name', push.name],
        ['namespace', push.namespace],
        ['region', 'cn-hangzhou'],
        ['repo_authentication_type', 'NO_CERTIFIED'],
        ['repo_full_name', `${push.namespace}/${push.name}`],
        ['repo_origin_type', 'NO_CERTIFIED'],
        ['repo_type', 'PRIVATE'],
      ],
      '        ',
    ),
    '    }',
    '}',
  ].join('\n');
}

/** POSTs a webhook body as a registry would: no API token, the given Authorization. */
export function postWebhook(
  t: TestApp,
  format: 'distribution' | 'harbor',
  options: { authorization?: string; body: string | Buffer; contentType?: string },
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type':
      options.contentType ??
      (format === 'distribution' ? DISTRIBUTION_EVENTS_TYPE : 'application/json'),
  };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  return fetch(
    t.url + (format === 'distribution' ? DISTRIBUTION_WEBHOOK_PATH : HARBOR_WEBHOOK_PATH),
    {
      method: 'POST',
      headers,
      body: options.body,
    },
  );
}

export interface InboxRow {
  event_id: string;
  status: string;
  reason: string | null;
  action: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  processed_at: Date | null;
  execution_ids: string[] | null;
}

/** The inbox rows of a registry, oldest first. */
export function inboxRows(t: TestApp, registryId: string): Promise<InboxRow[]> {
  return t.app.get(DataSource).query(
    `SELECT event_id, status, reason, action, repository, tag, digest, processed_at, execution_ids
         FROM event_inbox WHERE registry_id = $1 ORDER BY id`,
    [registryId],
  );
}

/** Every execution of a policy, newest first. */
export async function executionsOf(t: ApiCaller, policyId: string): Promise<ExecutionDto[]> {
  const page = await json<{ items: ExecutionDto[] }>(
    await t.api(`/api/v1/executions?policyId=${policyId}&limit=100`),
  );
  return page.items;
}
