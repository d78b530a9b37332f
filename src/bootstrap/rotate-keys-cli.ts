import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { RuntimeContext } from '../app.module.js';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config.js';
import { DatabaseModule } from '../database/database.module.js';
import { loggableMessage } from '../observability/error-serializer.js';
import { createRootLogger } from '../observability/root-logger.js';
import { RegistriesModule } from '../registries/registries.module.js';
import { KeyRotation, type RotationReport } from '../secrets/key-rotation.js';
import { keyId } from '../secrets/secret-box.js';
import { SecretsModule } from '../secrets/secrets.module.js';
import { prepareRuntime } from './runtime.js';

/**
 * Every module that stores sealed values and registers a Resealer with KeyRotation.
 * A new one must be listed here too, or `npm run rotate-keys` would skip its rows
 * (the start-up pass, which runs in the whole app, would not).
 */
const SEALED_VALUE_MODULES = [RegistriesModule];

@Module({})
class RotateKeysModule {
  static forRoot(runtime: RuntimeContext): DynamicModule {
    return {
      module: RotateKeysModule,
      global: true,
      imports: [
        DatabaseModule.forUrl(runtime.databaseUrl),
        SecretsModule.withKey(runtime.secretKey, runtime.config.previousSecretKeys, {
          rotateAtStart: false,
        }),
        ...SEALED_VALUE_MODULES,
      ],
      providers: [{ provide: AppConfig, useValue: runtime.config }],
      exports: [AppConfig],
    };
  }
}

/**
 * `npm run rotate-keys`: re-seals, with REGRELAY_SECRET_KEY, every stored value an
 * older key (REGRELAY_SECRET_KEY_PREVIOUS) sealed, then says whether the previous keys
 * can be retired. regrelay does the same at every start; this is for doing it on
 * purpose, and for the report. Exit 0: nothing needs a previous key any more;
 * 1: some values open with no configured key (each is named).
 */
async function rotateKeys(): Promise<number> {
  const config = loadConfig(process.env);
  const logger = createRootLogger({ ...config, logLevel: 'warn' });
  const runtime = await prepareRuntime(config, logger);
  try {
    const app = await NestFactory.createApplicationContext(RotateKeysModule.forRoot(runtime), {
      logger: ['error', 'warn'],
      abortOnError: false,
    });
    try {
      const report = await app.get(KeyRotation).rotate();
      process.stdout.write(describe(report, keyId(runtime.secretKey), config.previousSecretKeys));
      return report.unreadable.length ? 1 : 0;
    } finally {
      await app.close();
    }
  } finally {
    await runtime.release();
  }
}

function describe(report: RotationReport, currentId: string, previous: Buffer[]): string {
  const lines = [`Current key: ${currentId}`];
  for (const o of report.owners)
    lines.push(`  ${o.owner}: re-sealed ${o.resealed}, unreadable ${o.unreadable.length}`);
  if (report.unreadable.length) {
    lines.push(
      'Values no configured key opens (set the key they need in REGRELAY_SECRET_KEY_PREVIOUS, or enter them again):',
    );
    for (const problem of report.unreadable) lines.push(`  - ${problem}`);
  } else if (previous.length) {
    lines.push(
      `Nothing is sealed with a previous key (${previous.map(keyId).join(', ')}) any more: REGRELAY_SECRET_KEY_PREVIOUS can be removed.`,
    );
  } else {
    lines.push('Everything is sealed with the current key.');
  }
  return lines.join('\n') + '\n';
}

rotateKeys().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`regrelay rotate-keys: ${loggableMessage(error)}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
