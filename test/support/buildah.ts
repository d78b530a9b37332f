import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';

const run = promisify(execFile);

/** What `buildah push --format` writes: Docker v2 schema 2 or OCI. */
export type BuildahFormat = 'v2s2' | 'oci';

/**
 * buildah (a real client, from Debian) with its own storage under a temporary directory:
 * vfs driver, `--root`/`--runroot` there, nothing shared with the machine's containers
 * storage. Images are built `from scratch` with one file each, so no network is needed.
 * As root, buildah still keeps its blob-info cache in /var/lib/containers/cache; every
 * image carries a random nonce so that cache never makes one run reuse another's blobs.
 */
export class Buildah {
  private constructor(
    private readonly binary: string,
    private readonly dir: string,
  ) {}

  static async start(): Promise<Buildah> {
    const binary = requireBinary('buildah');
    return new Buildah(binary, await mkdtemp(join(tmpdir(), 'regrelay-buildah-')));
  }

  /** A store of its own: pulling there finds nothing built here already. */
  async separateStore(): Promise<Buildah> {
    return new Buildah(this.binary, await mkdtemp(join(this.dir, 'store-')));
  }

  async run(...args: string[]): Promise<string> {
    const storage = [
      '--storage-driver',
      'vfs',
      '--root',
      join(this.dir, 'root'),
      '--runroot',
      join(this.dir, 'runroot'),
    ];
    try {
      const { stdout } = await run(this.binary, [...storage, ...args], {
        maxBuffer: 16 << 20,
        timeout: 60_000,
      });
      return stdout.trim();
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`buildah ${args.join(' ')} failed: ${e.stderr || e.message}`, {
        cause: error,
      });
    }
  }

  /**
   * Builds a one-layer image `from scratch` and commits it as local image `name`.
   * The layer holds `content` and a nonce, so its digest is new on every run.
   */
  async build(name: string, options: { arch?: string; content: string }): Promise<void> {
    const file = join(this.dir, `${name}.txt`);
    await writeFile(file, `${options.content}\n${randomBytes(16).toString('hex')}\n`);
    const container = await this.run('from', 'scratch');
    await this.run('copy', container, file, `/${name}.txt`);
    await this.run(
      'config',
      '--arch',
      options.arch ?? 'amd64',
      '--os',
      'linux',
      '--label',
      `org.regrelay.test=${name}`,
      container,
    );
    await this.run('commit', '--quiet', container, name);
    await this.run('rm', container);
  }

  /** Pushes a local image; returns the manifest digest buildah wrote. */
  async push(
    image: string,
    destination: string,
    options: { format: BuildahFormat; compression?: 'gzip' | 'zstd' },
  ): Promise<string> {
    const digestFile = join(this.dir, `digest-${randomBytes(4).toString('hex')}`);
    const args = ['push', '--quiet', '--tls-verify=false', '--format', options.format];
    if (options.compression) args.push('--compression-format', options.compression);
    await this.run(...args, '--digestfile', digestFile, image, `docker://${destination}`);
    return (await readFile(digestFile, 'utf8')).trim();
  }

  /** Creates a manifest list of local images and pushes it with them; returns its digest. */
  async pushList(
    list: string,
    images: string[],
    destination: string,
    format: BuildahFormat,
  ): Promise<string> {
    await this.run('manifest', 'create', list);
    for (const image of images) await this.run('manifest', 'add', list, image);
    const digestFile = join(this.dir, `digest-${list}`);
    await this.run(
      'manifest',
      'push',
      '--quiet',
      '--all',
      '--tls-verify=false',
      '--format',
      format,
      '--digestfile',
      digestFile,
      list,
      `docker://${destination}`,
    );
    return (await readFile(digestFile, 'utf8')).trim();
  }

  /**
   * Pulls an image (for a list, the one for `platform`) and returns the digest of the
   * manifest buildah pulled and the architecture of what it stored.
   */
  async pull(
    reference: string,
    platform?: string,
  ): Promise<{ digest: string; architecture: string }> {
    const args = ['pull', '--quiet', '--tls-verify=false'];
    if (platform) args.push('--platform', platform);
    const id = await this.run(...args, `docker://${reference}`);
    const [digest, architecture] = (
      await this.run(
        'inspect',
        '--type',
        'image',
        '--format',
        '{{.FromImageDigest}} {{.OCIv1.Architecture}}',
        id,
      )
    ).split(' ');
    return { digest: digest!, architecture: architecture! };
  }

  async destroy(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
