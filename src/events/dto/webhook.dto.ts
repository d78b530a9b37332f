import { ApiProperty } from '@nestjs/swagger';

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
