import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('regrelay')
    .setDescription(
      'Replication controller between OCI registries. Every /api route needs ' +
        '`Authorization: Bearer <token>`, except the webhook routes under /api/v1/events, ' +
        "which take the sending registry's webhook secret instead; /health, /metrics and " +
        '/docs are open.',
    )
    .setVersion(pkg.version)
    .addBearerAuth()
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: "The sending registry's webhook secret" },
      'webhook',
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the OpenAPI description at /docs (UI) and /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
  });
}
