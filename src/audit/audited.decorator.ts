import { SetMetadata, type Type } from '@nestjs/common';

export const AUDITED = 'regrelay:audited';

/**
 * How to read a resource's state through the service that owns it, for the audit
 * entry's `before` (read just before the change) and `after` (just after). Make one
 * with `stateFrom`. What it returns is redacted (see auditState), but return the
 * public view (the response DTO) where there is one.
 */
export interface AuditStateReader {
  service: Type<unknown>;
  read(service: unknown, id: string): Promise<unknown>;
}

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

export interface AuditOptions {
  /** What was done. Default from the method: POST create, PUT/PATCH update, DELETE delete. */
  action?: string;
  /**
   * Where the resource's id is: the route parameter `id` by default, else the
   * response's `id` (a resource this request created).
   */
  idParam?: string;
  /** Reads the state before and after; without it `before` is empty and `after` is the response. */
  state?: AuditStateReader;
}

export interface AuditMetadata extends AuditOptions {
  resourceType: string;
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
  SetMetadata(AUDITED, { resourceType, ...options } satisfies AuditMetadata);
