import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AppConfig } from './config/app-config.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events/events.module.js';
import { PoliciesModule } from './policies/policies.module.js';
import { PreheatModule } from './preheat/preheat.module.js';
import { RegistriesModule } from './registries/registries.module.js';
import { ReplicationModule } from './replication/replication.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { httpLoggingParams } from './observability/http-logging.js';
import { SecretsModule } from './secrets/secrets.module.js';
import { TopologiesModule } from './topologies/topologies.module.js';

/** What the process resolved before Nest starts: config, database and key. */
export interface RuntimeContext {
  config: AppConfig;
  databaseUrl: string;
  secretKey: Buffer;
  logger: Logger;
}

@Module({})
export class AppModule {
  static forRoot(runtime: RuntimeContext): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot(httpLoggingParams(runtime.logger)),
        DatabaseModule.forUrl(runtime.databaseUrl),
        SecretsModule.withKey(runtime.secretKey, runtime.config.previousSecretKeys),
        ObservabilityModule,
        AuthModule,
        AuditModule,
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
