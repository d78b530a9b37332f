import { describe, expect, it } from '@jest/globals';
import { describeOwner } from './owner';

const POLICY = '4f0c5b8e-6d0e-4b8b-9b7a-2f1d5f3a9c11';
const names = new Map([[POLICY, 'hq-to-regions']]);

describe('describeOwner', () => {
  it('names a policy from the policyId older servers send', () => {
    expect(describeOwner({ policyId: POLICY }, names)).toEqual({
      kind: 'policy',
      name: 'hq-to-regions',
      policyId: POLICY,
    });
    expect(describeOwner({ policyId: POLICY })).toMatchObject({ name: 'policy 4f0c5b8e' });
  });

  it('prefers the owner, and links only what a policy owns', () => {
    expect(
      describeOwner({ policyId: POLICY, owner: { kind: 'policy', id: POLICY, name: 'renamed' } }),
    ).toEqual({ kind: 'policy', name: 'renamed', policyId: POLICY });
    expect(
      describeOwner({
        policyId: null,
        owner: { kind: 'copy', id: 'c0ffee00-0000', name: 'hotfix' },
      }),
    ).toEqual({ kind: 'copy', name: 'hotfix' });
    expect(describeOwner({ policyId: null, owner: { kind: 'copy', id: 'c0ffee00-0000' } })).toEqual(
      {
        kind: 'copy',
        name: 'c0ffee00',
      },
    );
  });

  it('says nothing when neither is there', () => {
    expect(describeOwner({ policyId: null, owner: null })).toBeUndefined();
    expect(describeOwner({})).toBeUndefined();
  });
});
