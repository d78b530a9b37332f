import { applyDecorators, SetMetadata, UseInterceptors, type Type } from '@nestjs/common';
import {
  AUDITED,
  type AuditMetadata,
  type AuditOptions,
  type AuditStateReader,
} from './audit-metadata.js';
import { AuditInterceptor } from './audit.interceptor.js';

export type { AuditOptions, AuditStateReader } from './audit-metadata.js';

/** State read by a function of the owning service, e.g. to map an entity to its DTO. */
export function stateFrom<S>(
  service: Type<S>,
  read: (service: S, id: string) => Promise<unknown>,
): AuditStateReader {
  return { service, read: (instance, id) => read(instance as S, id) };
}

/** State read by one method of the owning service that takes the id, e.g. `view`. */
export function stateOf<S, M extends keyof S>(
  service: Type<S>,
  method: M & (S[M] extends (id: string) => Promise<unknown> ? M : never),
): AuditStateReader {
  return stateFrom(service, (instance, id) =>
    (instance[method] as (id: string) => Promise<unknown>).call(instance, id),
  );
}

/**
 * Records a successful call of this route in the audit log (AuditInterceptor): who
 * (the API token), the action, the resource type and id, its state before and after
 * with secrets redacted, when, and the request id. One line per route, e.g.
 *
 *   @Audited('execution', { action: 'stop', state: stateOf(ExecutionsService, 'view') })
 *
 * Failed calls (an exception, so 4xx/5xx) are not recorded: nothing changed.
 */
export const Audited = (resourceType: string, options: AuditOptions = {}) =>
  applyDecorators(
    SetMetadata(AUDITED, { resourceType, ...options } satisfies AuditMetadata),
    // On the route only, not global: an interceptor on an @Sse() route would let Nest
    // start the stream before the handler could answer 404.
    UseInterceptors(AuditInterceptor),
  );
