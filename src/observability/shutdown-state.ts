import { Injectable } from '@nestjs/common';

/**
 * Set when the process begins a graceful shutdown, so readiness turns 503 at once
 * (load balancers stop sending work) and background loops stop taking new work.
 */
@Injectable()
export class ShutdownState {
  private draining = false;
  private readonly listeners = new Set<() => void>();

  get isDraining(): boolean {
    return this.draining;
  }

  begin(): void {
    if (this.draining) return;
    this.draining = true;
    for (const listener of this.listeners) listener();
  }

  /** Calls `listener` when shutdown begins; returns a function that unsubscribes. */
  onDrain(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
