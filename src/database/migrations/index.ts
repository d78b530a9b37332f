import { CreateApiTokens1763798400000 } from './1763798400000-create-api-tokens.js';

/** Every migration, oldest first. Listed explicitly: ESM has no reliable glob loading. */
export const migrations = [CreateApiTokens1763798400000];
