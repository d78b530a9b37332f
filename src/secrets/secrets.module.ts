import { Global, Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { KeyRotation, KeyRotationAtStart } from './key-rotation.js';
import { loadLookupKeys } from './lookup-key-store.js';
import { LookupKeys } from './lookup-keys.js';
import { SecretBox } from './secret-box.js';

/** SecretBox is provided by AppModule.forRoot, which knows the resolved key. */
@Global()
@Module({})
export class SecretsModule {
  /**
   * `rotateAtStart: false` for tools that run the rotation pass themselves
   * (`npm run rotate-keys`) and want its report.
   */
  static withKey(
    currentKey: Buffer,
    previousKeys: Buffer[],
    { rotateAtStart = true }: { rotateAtStart?: boolean } = {},
  ): DynamicModule {
    return {
      module: SecretsModule,
      providers: [
        { provide: SecretBox, useValue: new SecretBox(currentKey, previousKeys) },
        {
          provide: LookupKeys,
          useFactory: (dataSource: DataSource, box: SecretBox) => loadLookupKeys(dataSource, box),
          inject: [getDataSourceToken(), SecretBox],
        },
        KeyRotation,
        ...(rotateAtStart ? [KeyRotationAtStart] : []),
      ],
      exports: [SecretBox, LookupKeys, KeyRotation],
    };
  }
}
