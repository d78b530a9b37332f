import { ApiTokenEntity } from '../auth/api-token.entity.js';

/** Every TypeORM entity. Listed explicitly: ESM has no reliable glob loading. */
export const entities = [ApiTokenEntity];
