import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';

const run = promisify(execFile);

/**
 * The manifest bytes as skopeo (an independent client) reads them, and their sha256:
 * tests compare this digest with what our client claims.
 */
export async function skopeoRawDigest(
  host: string,
  repository: string,
  reference: string,
  credentials?: { username: string; password: string },
): Promise<{ digest: string; bytes: Buffer }> {
  const skopeo = requireBinary('skopeo');
  const ref = reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`;
  const args = ['inspect', '--raw', '--tls-verify=false'];
  if (credentials) args.push('--creds', `${credentials.username}:${credentials.password}`);
  args.push(`docker://${host}/${ref}`);
  const { stdout } = await run(skopeo, args, {
    encoding: 'buffer',
    maxBuffer: 16 << 20,
    timeout: 30_000,
  });
  return { digest: `sha256:${createHash('sha256').update(stdout).digest('hex')}`, bytes: stdout };
}
