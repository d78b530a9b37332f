import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';

/**
 * This application instance's identity as a lease owner: host, pid and a random
 * suffix, so a restarted process (same host, maybe the same pid in a container) is a
 * new owner and never mistakes its predecessor's leases for its own. One per app
 * instance, not per process: tests run several replicas in one process.
 */
@Injectable()
export class InstanceId {
  readonly value = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
