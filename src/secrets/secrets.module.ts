import { Global, Module } from '@nestjs/common';
import { SecretBox } from './secret-box.js';

/** SecretBox is provided by AppModule.forRoot, which knows the resolved key. */
@Global()
@Module({})
export class SecretsModule {
  static withKey(currentKey: Buffer, previousKeys: Buffer[]) {
    return {
      module: SecretsModule,
      providers: [{ provide: SecretBox, useValue: new SecretBox(currentKey, previousKeys) }],
      exports: [SecretBox],
    };
  }
}
