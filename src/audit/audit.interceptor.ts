import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { defer, from, mergeMap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/principal.js';
import { AUDITED, type AuditMetadata } from './audit-metadata.js';
import { AuditService } from './audit.service.js';

const ACTION_BY_METHOD: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

/**
 * Writes the audit entry of every @Audited route that succeeded: the state is read
 * (through the owning service) before the handler runs and again after it, and the
 * entry is stored before the response goes out. A route that throws records
 * nothing. If storing fails the change stands (it is made already): the failure is
 * logged with the request id and counted in regrelay_audit_write_failures_total.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');

  // One instance per module whose routes use it (Nest makes route interceptors so):
  // what must exist once, such as metrics, lives in AuditService. That is looked up at
  // first use, so a module with @Audited routes also loads where the audit log is not
  // (`npm run rotate-keys` loads RegistriesModule).
  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  private get audit(): AuditService {
    return this.moduleRef.get(AuditService, { strict: false });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.get<AuditMetadata | undefined>(AUDITED, context.getHandler());
    if (!meta) return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { id?: unknown }>();
    const action = meta.action ?? ACTION_BY_METHOD[request.method] ?? request.method.toLowerCase();
    const paramId = (request.params as Record<string, string | undefined>)[meta.idParam ?? 'id'];
    return defer(() => from(this.readState(meta, paramId))).pipe(
      mergeMap((before) =>
        next.handle().pipe(
          mergeMap(async (result: unknown) => {
            const resourceId = paramId ?? idOf(result, meta.resultId ?? 'id');
            const after =
              action === 'delete'
                ? null
                : meta.state && resourceId
                  ? await this.readState(meta, resourceId)
                  : result;
            try {
              await this.audit.record({
                actorTokenId: request.principal?.tokenId ?? null,
                actorName: request.principal?.name ?? 'anonymous',
                action,
                resourceType: meta.resourceType,
                resourceId: resourceId ?? null,
                before,
                after,
                requestId: typeof request.id === 'string' ? request.id : null,
              });
            } catch (error) {
              this.audit.countWriteFailure();
              this.logger.error(
                { err: error, resourceType: meta.resourceType, resourceId, action },
                'The audit entry of a change could not be stored',
              );
            }
            return result;
          }),
        ),
      ),
    );
  }

  /** The resource's state through its service; null when it cannot be read (missing). */
  private async readState(meta: AuditMetadata, id: string | undefined): Promise<unknown> {
    if (!meta.state || !id) return null;
    try {
      const service = this.moduleRef.get(meta.state.service, { strict: false });
      return await meta.state.read(service, id);
    } catch {
      // Not there (a 404 the handler will give), or gone: nothing to show.
      return null;
    }
  }
}

function idOf(result: unknown, field: string): string | undefined {
  const id = (result as Record<string, unknown> | null)?.[field];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
