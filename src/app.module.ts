import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AuthModule } from './auth/auth.module.js';
import { AppConfig } from './config/app-config.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events/events.module.js';
import { PoliciesModule } from './policies/policies.module.js';
import { PreheatModule } from './preheat/preheat.module.js';
import { RegistriesModule } from './registries/registries.module.js';
import { ReplicationModule } from './replication/replication.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { redactedUrl } from './observability/redacted-url.js';
import { requestIdFor } from './observability/request-id.js';
import { SecretsModule } from './secrets/secrets.module.js';
import { TopologiesModule } from './topologies/topologies.module.js';

/** What the process resolved before Nest starts: config, database and key. */
export interface RuntimeContext {
  config: AppConfig;
  databaseUrl: string;
  secretKey: Buffer;
  logger: Logger;
}

const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

@Module({})
export class AppModule {
  static forRoot(runtime: RuntimeContext): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: runtime.logger,
            genReqId: requestIdFor,
            // Probes and scrapes every few seconds would drown the useful lines.
            autoLogging: { ignore: (req) => QUIET_ROUTES.has(req.url?.split('?')[0] ?? '') },
            // One compact line per request; headers may carry credentials and add noise,
            // and ACR's trigger URL carries the webhook secret in its query.
            serializers: {
              req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
                id: req.id,
                method: req.method,
                url: redactedUrl(req.url),
                remoteAddress: req.remoteAddress,
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
            customLogLevel: (_req, res, error) =>
              error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          },
        }),
        DatabaseModule.forUrl(runtime.databaseUrl),
        SecretsModule.withKey(runtime.secretKey, runtime.config.previousSecretKeys),
        ObservabilityModule,
        AuthModule,
        RegistriesModule,
        PoliciesModule,
        ReplicationModule,
        EventsModule,
        TopologiesModule,
        PreheatModule,
      ],
      providers: [{ provide: AppConfig, useValue: runtime.config }],
      exports: [AppConfig],
    };
  }
}
