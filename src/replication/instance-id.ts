import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/**
 * This application instance's identity as a lease owner: host, pid and a random
 * suffix, so a restarted process (same host, maybe the same pid in a container) is a
 * new owner and never mistakes its predecessor's leases for its own. One per app
 * instance, not per process: tests run several replicas in one process.
 *
 * On the embedded PostgreSQL the id starts with a **lineage** named after the data
 * directory (`embedded-<hash>/host:pid:random`). Only the process holding the data
 * directory's lock runs that database, and the lock is taken only from a holder that
 * is gone (its pid dead, or reused by a process started at another time). So at
 * start, every lease of the same lineage but another id belongs to a dead
 * predecessor, and is taken over at once instead of waiting for it to expire. With
 * an external database (DATABASE_URL) there is no lineage: other replicas may be
 * alive, nothing tells a dead one from a slow one, and leases only ever expire.
 */
@Injectable()
export class InstanceId {
  readonly lineage: string | undefined;
  readonly value: string;

  constructor(config: AppConfig) {
    this.lineage = config.databaseUrl ? undefined : lineageOf(config.dataDir);
    const self = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.value = this.lineage ? `${this.lineage}/${self}` : self;
  }

  /**
   * The lease-owner prefix of this instance's dead predecessors (LIKE-safe: hex and
   * a dash), or undefined when the database may be shared.
   */
  get predecessors(): string | undefined {
    return this.lineage && `${this.lineage}/`;
  }
}

/** A data directory's lineage: the same directory, however it is spelled, gives the same. */
export function lineageOf(dataDir: string): string {
  let path = resolve(dataDir);
  try {
    path = realpathSync(path);
  } catch {
    // not created yet: its resolved name is all there is
  }
  return `embedded-${createHash('sha256').update(path).digest('hex').slice(0, 16)}`;
}
