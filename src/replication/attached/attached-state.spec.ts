import { describe, expect, it } from '@jest/globals';
import { missingAttached, type AttachedState } from './attached-state.js';

const d = (n: string) => `sha256:${n.repeat(64)}`;
const state = (tags: [string, string][], referrers: string[]): AttachedState => ({
  tags: new Map(tags),
  referrers: new Map(
    referrers.map((digest) => [
      digest,
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: 1,
        artifactType: 't/x',
      },
    ]),
  ),
});

describe('missingAttached', () => {
  it('is empty when the destination has all the source attached, and more', () => {
    expect(
      missingAttached(
        state([['sha256-x.sig', d('1')]], [d('2')]),
        state(
          [
            ['sha256-x.sig', d('1')],
            ['sha256-x.att', d('3')],
          ],
          [d('2'), d('4')],
        ),
      ),
    ).toEqual([]);
  });

  it('names cosign tags missing or holding another digest, and referrers not listed', () => {
    expect(
      missingAttached(
        state(
          [
            ['sha256-x.sig', d('1')],
            ['sha256-x.att', d('5')],
          ],
          [d('2'), d('6')],
        ),
        state([['sha256-x.sig', d('9')]], [d('2')]),
      ),
    ).toEqual(['sha256-x.sig', 'sha256-x.att', `t/x ${d('6')}`]);
  });
});
