import { SetMetadata } from '@nestjs/common';
import type { Role } from './api-token.entity.js';

export const PUBLIC_ROUTE = 'regrelay:public';
export const REQUIRED_ROLE = 'regrelay:required-role';

/** The route needs no API token (health, metrics, webhook intake with its own check). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The least role a route needs. Without it: reads (GET/HEAD) need `viewer`,
 * everything else `operator`.
 */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);
