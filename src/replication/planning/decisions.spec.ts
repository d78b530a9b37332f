import { describe, expect, it } from '@jest/globals';
import { decideCopy, decideDeletion } from './decisions.js';
import type { TagState } from './tag-state.js';

const at = (digest: string): TagState => ({
  kind: 'present',
  descriptor: { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1 },
});
const absent: TagState = { kind: 'absent' };
const unreadable: TagState = { kind: 'unreadable', error: 'connection refused' };

describe('decideCopy: one source tag at one destination', () => {
  it.each<[string, TagState, TagState, boolean, ReturnType<typeof decideCopy>]>([
    [
      'absent at the destination',
      at('sha256:a'),
      absent,
      false,
      { action: 'copy', destination: 'absent' },
    ],
    [
      'the same digest there',
      at('sha256:a'),
      at('sha256:a'),
      false,
      { action: 'skip', destination: 'same', reason: 'already present' },
    ],
    [
      'the same digest there, override on',
      at('sha256:a'),
      at('sha256:a'),
      true,
      { action: 'skip', destination: 'same', reason: 'already present' },
    ],
    [
      'another digest there, override off',
      at('sha256:a'),
      at('sha256:b'),
      false,
      {
        action: 'skip',
        destination: 'different',
        reason: 'the destination tag points at sha256:b; override is off',
      },
    ],
    [
      'another digest there, override on',
      at('sha256:a'),
      at('sha256:b'),
      true,
      { action: 'copy', destination: 'different' },
    ],
    [
      'the destination cannot be asked',
      at('sha256:a'),
      unreadable,
      false,
      { action: 'copy', destination: 'unreadable' },
    ],
    ['the source lacks the tag', absent, at('sha256:b'), true, { action: 'none' }],
    [
      'the source cannot be read',
      unreadable,
      absent,
      true,
      { action: 'fail', reason: 'could not read the source tag: connection refused' },
    ],
  ])('%s', (_case, source, destination, override, expected) => {
    expect(decideCopy(source, destination, override)).toEqual(expected);
  });
});

describe('decideDeletion: a tag regrelay wrote, gone from the source', () => {
  const written = { digest: 'sha256:a' };
  it.each<[string, TagState, ReturnType<typeof decideDeletion>]>([
    ['the destination still holds what was written', at('sha256:a'), { action: 'delete' }],
    ['already gone at the destination', absent, { action: 'forget' }],
    ['the destination cannot be asked', unreadable, { action: 'recheck' }],
    [
      'changed at the destination since',
      at('sha256:c'),
      {
        action: 'leave',
        now: 'sha256:c',
        reason: 'changed at the destination since regrelay wrote it (now sha256:c); left alone',
      },
    ],
  ])('%s', (_case, destination, expected) => {
    expect(decideDeletion(written, destination)).toEqual(expected);
  });
});
