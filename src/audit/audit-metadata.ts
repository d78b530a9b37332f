import type { Type } from '@nestjs/common';

export const AUDITED = 'regrelay:audited';

/**
 * How to read a resource's state through the service that owns it, for the audit
 * entry's `before` (read just before the change) and `after` (just after). Make one
 * with `stateFrom` or `stateOf` (audited.decorator.ts). What it returns is redacted (see auditState), but return the
 * public view (the response DTO) where there is one.
 */
export interface AuditStateReader {
  service: Type<unknown>;
  read(service: unknown, id: string): Promise<unknown>;
}

export interface AuditOptions {
  /** What was done. Default from the method: POST create, PUT/PATCH update, DELETE delete. */
  action?: string;
  /**
   * Where the resource's id is: the route parameter `id` by default, else the
   * response's `id` (a resource this request created).
   */
  idParam?: string;
  /** The response field that holds the id when no route parameter does (default `id`). */
  resultId?: string;
  /** Reads the state before and after; without it `before` is empty and `after` is the response. */
  state?: AuditStateReader;
}

export interface AuditMetadata extends AuditOptions {
  resourceType: string;
}
