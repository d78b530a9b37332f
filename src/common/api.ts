import { ParseUUIDPipe } from '@nestjs/common';

/** Every REST route of the product lives under this prefix. */
export const API_PREFIX = 'api/v1';

/** `:id` route parameters: a malformed id is a 400 naming the parameter, not a 500. */
export const UuidParam = new ParseUUIDPipe({ version: undefined });
