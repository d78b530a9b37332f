import { describe, expect, it } from '@jest/globals';
import { ChunkReader } from './chunk-reader.js';
import { children } from './manifest-graph.js';
import { MediaType } from './media-types.js';
import { isDigest, isRepository, isTag } from './reference.js';
import { mergeScopes, repositoryScope } from './scope.js';
import { nextLink, parseUploadRange, resolveLocation, withDigest } from './upload-location.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('WWW-Authenticate', () => {
  it('parses a Bearer challenge whose scope holds commas and a host:port name', () => {
    const [c] = parseWwwAuthenticate(
      'Bearer realm="https://auth.example/token",service="reg",scope="repository:host:5000/a/b:pull,push",error="insufficient_scope"',
    );
    expect(c).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'reg',
        scope: 'repository:host:5000/a/b:pull,push',
        error: 'insufficient_scope',
      },
    });
  });

  it('parses several challenges and unquoted values', () => {
    const list = parseWwwAuthenticate(['Basic realm="x"', 'Bearer realm=https://r/t, service=s']);
    expect(list.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(list[1]!.params).toEqual({ realm: 'https://r/t', service: 's' });
  });
});

describe('upload locations, ranges and links', () => {
  const base = new URL('http://reg:5000/v2/a/blobs/uploads/');

  it('resolves relative Locations and keeps their query when adding the digest', () => {
    const loc = resolveLocation('/v2/a/blobs/uploads/uuid?_state=abc%3D', base)!;
    expect(withDigest(loc, 'sha256:00').href).toBe(
      'http://reg:5000/v2/a/blobs/uploads/uuid?_state=abc%3D&digest=sha256%3A00',
    );
    expect(resolveLocation('https://other/x?y=1', base)!.href).toBe('https://other/x?y=1');
  });

  it('reads Range with or without bytes=', () => {
    expect(parseUploadRange('0-1023')).toBe(1024);
    expect(parseUploadRange('bytes=0-1023')).toBe(1024);
    expect(parseUploadRange('0-0')).toBe(0);
    expect(parseUploadRange(undefined)).toBeUndefined();
    expect(parseUploadRange('garbage')).toBeUndefined();
  });

  it('follows relative and absolute next links', () => {
    const from = new URL('http://reg/v2/_catalog?n=2');
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', from)!.href).toBe(
      'http://reg/v2/_catalog?last=b&n=2',
    );
    expect(nextLink('<https://cdn/x>; rel=next', from)!.href).toBe('https://cdn/x');
    expect(nextLink('</prev>; rel="prev"', from)).toBeUndefined();
  });
});

describe('scopes', () => {
  it('merges actions per resource, splitting on the last colon', () => {
    expect(
      mergeScopes(
        [repositoryScope('a/b', 'push', 'pull')],
        ['repository:a/b:delete', 'repository:host:5000/c:pull', 'registry:catalog:*'],
      ),
    ).toEqual([
      'registry:catalog:*',
      'repository:a/b:pull,push,delete',
      'repository:host:5000/c:pull',
    ]);
  });
});

describe('grammar', () => {
  it('accepts spec names and refuses the rest', () => {
    expect(isRepository('library/ubuntu')).toBe(true);
    expect(isRepository('a__b/c-d.e')).toBe(true);
    expect(isRepository('A/b')).toBe(false);
    expect(isRepository('a//b')).toBe(false);
    expect(isRepository('../etc')).toBe(false);
    expect(isTag('v1.2_3-rc')).toBe(true);
    expect(isTag('.hidden')).toBe(false);
    expect(isTag('x'.repeat(129))).toBe(false);
    expect(isDigest(`sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isDigest(`sha512:${'0'.repeat(128)}`)).toBe(true);
    expect(isDigest('md5:abc')).toBe(false);
  });
});

describe('manifest children', () => {
  const d = (n: string, mediaType = 'x/y') => ({
    mediaType,
    digest: `sha256:${n.repeat(64)}`,
    size: 1,
  });

  it('lists config, layers and subject of an image manifest', () => {
    const bytes = Buffer.from(
      JSON.stringify({ config: d('a'), layers: [d('b'), d('c')], subject: d('d') }),
    );
    const c = children(bytes, MediaType.OciManifest);
    expect(c.config?.digest).toBe(d('a').digest);
    expect(c.layers.map((l) => l.digest)).toEqual([d('b').digest, d('c').digest]);
    expect(c.subject?.digest).toBe(d('d').digest);
  });

  it('lists the manifests of an index and treats unknown types as opaque', () => {
    const bytes = Buffer.from(JSON.stringify({ manifests: [d('e')] }));
    expect(children(bytes, MediaType.DockerManifestList).manifests).toHaveLength(1);
    expect(children(Buffer.from('not json'), 'application/x-helm')).toEqual({
      layers: [],
      manifests: [],
    });
  });

  it('refuses malformed known manifests', () => {
    expect(() => children(Buffer.from('[]'), MediaType.OciIndex)).toThrow(/JSON object/);
    expect(() =>
      children(Buffer.from('{"layers":[{"digest":"x"}]}'), MediaType.OciManifest),
    ).toThrow(/descriptor/);
  });
});

describe('ChunkReader', () => {
  it('cuts a stream into exact consecutive chunks', async () => {
    async function* source() {
      yield Buffer.from('abcde');
      yield Buffer.from('fgh');
      yield Buffer.from('ijklmnop');
    }
    const reader = new ChunkReader(source());
    const read = async (n: number) => {
      const parts: Buffer[] = [];
      for await (const p of reader.take(n)) parts.push(Buffer.from(p));
      return Buffer.concat(parts).toString();
    };
    expect(await read(3)).toBe('abc');
    expect(await read(6)).toBe('defghi');
    expect(await read(7)).toBe('jklmnop');
    await reader.close();
  });
});
