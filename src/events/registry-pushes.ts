import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { PendingEvent } from './event-inbox.js';

/** A registry reported that a tag now points at a digest. */
export interface RegistryPush {
  registryId: string;
  repository: string;
  tag: string;
  digest: string;
  occurredAt: Date;
}

/**
 * Pushes that registries reported, as the coalescer claims them, for features other
 * than event-triggered policies (promotions: a digest arrived in a stage). At least
 * once: a claim that rolls back is claimed, and reported, again.
 */
@Injectable()
export class RegistryPushes {
  private readonly subject = new Subject<RegistryPush>();
  readonly pushes$: Observable<RegistryPush> = this.subject.asObservable();

  report(registryId: string, events: readonly PendingEvent[]): void {
    for (const e of events) {
      if (e.action !== 'push' || !e.tag || !e.digest) continue;
      this.subject.next({
        registryId,
        repository: e.repository,
        tag: e.tag,
        digest: e.digest,
        occurredAt: e.occurredAt,
      });
    }
  }
}
