import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's identity as a lease owner: host, pid and a random suffix, so a
 * restarted process (same host, maybe same pid in a container) is a new owner and
 * never mistakes its predecessor's leases for its own.
 */
export const INSTANCE_ID = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
