import type { Descriptor } from '../../oci/index.js';

/** Where a tag stands at one registry. */
export type TagState =
  | { kind: 'present'; descriptor: Pick<Descriptor, 'digest' | 'mediaType' | 'size'> }
  | { kind: 'absent' }
  | { kind: 'unreadable'; error: string };
