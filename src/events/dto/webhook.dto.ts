import { ApiProperty } from '@nestjs/swagger';

export class WebhookProblemDto {
  @ApiProperty({ example: 'events[1].target.digest' })
  field!: string;
  @ApiProperty({ example: 'is not a valid sha256 or sha512 digest: "sha256:abc"' })
  reason!: string;
}

/** The answer to a webhook delivery. Registries ignore it; people debugging read it. */
export class WebhookReceiptDto {
  @ApiProperty({ description: 'Events stored for replication', example: 1 })
  accepted!: number;
  @ApiProperty({ description: 'Events already stored by an earlier delivery', example: 0 })
  duplicates!: number;
  @ApiProperty({
    description: 'Events that need nothing done: pulls, mounts, blob uploads, digest-only pushes',
    example: 2,
  })
  ignored!: number;
  @ApiProperty({
    description:
      'Events regrelay cannot use (unknown action or type, invalid name, digest or time): stored ' +
      'as rejected with the reason (GET /api/v1/events?status=rejected), still answered 202',
    example: 1,
  })
  rejected!: number;
  @ApiProperty({
    type: [WebhookProblemDto],
    description: 'Why events were rejected (the first 10)',
  })
  problems!: WebhookProblemDto[];
}

const SHA = 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';

/** OpenAPI description of distribution's envelope (documentation only; parsed by hand). */
export const DISTRIBUTION_ENVELOPE_SCHEMA = {
  type: 'object',
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'timestamp', 'action', 'target'],
        properties: {
          id: { type: 'string', description: 'Unique per event; redeliveries repeat it' },
          timestamp: { type: 'string', format: 'date-time' },
          action: { type: 'string', enum: ['push', 'pull', 'mount', 'delete'] },
          target: {
            type: 'object',
            required: ['repository'],
            properties: {
              mediaType: { type: 'string' },
              digest: { type: 'string' },
              repository: { type: 'string' },
              tag: { type: 'string' },
              url: { type: 'string' },
            },
          },
        },
      },
    },
  },
  example: {
    events: [
      {
        id: '9f7a5c1e-3b2d-4c8e-a1f0-6d5e4c3b2a19',
        timestamp: '2026-11-20T10:15:30.123456789Z',
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: SHA,
          repository: 'library/app',
          tag: '1.4.2',
          url: `http://registry.hq.example:5000/v2/library/app/manifests/${SHA}`,
        },
      },
    ],
  },
};

/** OpenAPI description of Harbor's "Default" webhook payload (documentation only). */
export const HARBOR_PAYLOAD_SCHEMA = {
  type: 'object',
  required: ['type', 'occur_at', 'event_data'],
  properties: {
    type: { type: 'string', example: 'PUSH_ARTIFACT' },
    occur_at: { type: 'integer', description: 'Unix seconds' },
    operator: { type: 'string' },
    event_data: {
      type: 'object',
      properties: {
        resources: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              digest: { type: 'string' },
              tag: { type: 'string' },
              resource_url: { type: 'string' },
            },
          },
        },
        repository: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            namespace: { type: 'string' },
            repo_full_name: { type: 'string' },
            repo_type: { type: 'string' },
          },
        },
      },
    },
  },
  example: {
    type: 'PUSH_ARTIFACT',
    occur_at: 1795255530,
    operator: 'ci-bot',
    event_data: {
      resources: [
        { digest: SHA, tag: '1.4.2', resource_url: 'harbor.hq.example/library/app:1.4.2' },
      ],
      repository: {
        name: 'app',
        namespace: 'library',
        repo_full_name: 'library/app',
        repo_type: 'private',
      },
    },
  },
};

/** Harbor 2.8+'s CloudEvents payload format, structured mode (documentation only). */
export const HARBOR_CLOUDEVENT_EXAMPLE = {
  specversion: '1.0',
  requestid: '2eedfab8-61d3-4f3c-8ec3-8f82d1ec4c84',
  id: '4b2f89a6-548d-4c12-9993-a1f5790b97d2',
  source: '/projects/1/webhook/policies/3',
  type: 'harbor.artifact.pushed',
  datacontenttype: 'application/json',
  time: '2026-11-20T10:15:30Z',
  data: HARBOR_PAYLOAD_SCHEMA.example.event_data,
  operator: 'robot$library+ci',
};

/** The Harbor route's body: the Default format or a CloudEvent (documentation only). */
export const HARBOR_WEBHOOK_SCHEMA = {
  oneOf: [
    HARBOR_PAYLOAD_SCHEMA,
    {
      type: 'object',
      description: 'CloudEvents 1.0, structured mode (Content-Type: application/cloudevents+json)',
      required: ['specversion', 'id', 'type', 'data'],
      properties: {
        specversion: { type: 'string', enum: ['1.0'] },
        id: { type: 'string', description: 'Unique per event; used to recognise redeliveries' },
        source: { type: 'string' },
        type: {
          type: 'string',
          example: 'harbor.artifact.pushed',
          description: 'harbor.artifact.pushed and harbor.artifact.deleted are acted on',
        },
        time: { type: 'string', format: 'date-time' },
        datacontenttype: { type: 'string', example: 'application/json' },
        data: HARBOR_PAYLOAD_SCHEMA.properties.event_data,
      },
    },
  ],
};

/** Alibaba Cloud Container Registry's trigger notification (documentation only). */
export const ACR_PAYLOAD_SCHEMA = {
  type: 'object',
  required: ['push_data', 'repository'],
  properties: {
    push_data: {
      type: 'object',
      properties: {
        digest: { type: 'string' },
        pushed_at: {
          type: 'string',
          description: "No time zone: read in the registry's `timezone` (default Asia/Shanghai)",
          example: '2016-11-29 12:25:46',
        },
        tag: { type: 'string' },
      },
    },
    repository: {
      type: 'object',
      properties: {
        date_created: { type: 'string' },
        name: { type: 'string' },
        namespace: { type: 'string' },
        region: { type: 'string' },
        repo_authentication_type: { type: 'string' },
        repo_full_name: { type: 'string', description: 'namespace/name: the repository' },
        repo_origin_type: { type: 'string' },
        repo_type: { type: 'string' },
      },
    },
  },
  example: {
    push_data: { digest: SHA, pushed_at: '2016-11-29 12:25:46', tag: 'latest' },
    repository: {
      date_created: '2016-10-28 21:31:42',
      name: 'app',
      namespace: 'team',
      region: 'cn-hangzhou',
      repo_authentication_type: 'NO_CERTIFIED',
      repo_full_name: 'team/app',
      repo_origin_type: 'NO_CERTIFIED',
      repo_type: 'PUBLIC',
    },
  },
};
