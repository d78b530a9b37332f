import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  COSIGN_SIGNATURE_TYPE,
  SIGNATURE_ANNOTATION,
  cosignSignatureTag,
  parsePublicKey,
  signedLayers,
  verifySimpleSigning,
} from './cosign-signature.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey: parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

function payload(digest: string, type = COSIGN_SIGNATURE_TYPE, key = 'docker-manifest-digest') {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': 'team/app' }, image: { [key]: digest }, type },
      optional: null,
    }),
  );
}

describe('cosign simple-signing verification', () => {
  const signer = keyPair();
  const signed = (bytes: Buffer) => sign('sha256', bytes, signer.privateKey).toString('base64');

  it('accepts a signature over the payload that names the digest', () => {
    const bytes = payload(DIGEST);
    expect(verifySimpleSigning(bytes, signed(bytes), signer.publicKey, DIGEST)).toEqual({
      ok: true,
    });
  });

  it('matches the digest key as cosign (Go) does, ignoring case', () => {
    const bytes = payload(DIGEST, COSIGN_SIGNATURE_TYPE, 'Docker-manifest-digest');
    expect(verifySimpleSigning(bytes, signed(bytes), signer.publicKey, DIGEST)).toEqual({
      ok: true,
    });
  });

  it('refuses another key, a tampered payload, another digest, another payload type', () => {
    const bytes = payload(DIGEST);
    const other = keyPair();
    expect(verifySimpleSigning(bytes, signed(bytes), other.publicKey, DIGEST)).toMatchObject({
      ok: false,
      why: expect.stringContaining('does not verify'),
    });
    const tampered = Buffer.from(bytes.toString().replace('team/app', 'team/evil'));
    expect(verifySimpleSigning(tampered, signed(bytes), signer.publicKey, DIGEST).ok).toBe(false);
    const named = payload(OTHER);
    expect(verifySimpleSigning(named, signed(named), signer.publicKey, DIGEST)).toMatchObject({
      why: `the signed payload names "${OTHER}", not ${DIGEST}`,
    });
    const atomic = payload(DIGEST, 'atomic container signature');
    expect(verifySimpleSigning(atomic, signed(atomic), signer.publicKey, DIGEST).ok).toBe(false);
    expect(verifySimpleSigning(bytes, '', signer.publicKey, DIGEST).ok).toBe(false);
  });

  it('reads signed layers from a signature manifest and ignores the rest', () => {
    const manifest = Buffer.from(
      JSON.stringify({
        layers: [
          { digest: DIGEST, size: 200, annotations: { [SIGNATURE_ANNOTATION]: 'MEUC' } },
          { digest: OTHER, size: 10 },
        ],
      }),
    );
    expect(signedLayers(manifest)).toEqual([{ digest: DIGEST, size: 200, signature: 'MEUC' }]);
    expect(signedLayers(Buffer.from('not json'))).toEqual([]);
  });

  it("names cosign's default signature tag and accepts only P-256 keys", () => {
    expect(cosignSignatureTag(DIGEST)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(() => parsePublicKey(rsa.export({ type: 'spki', format: 'pem' }).toString())).toThrow(
      /P-256/,
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    expect(() => parsePublicKey(p384.export({ type: 'spki', format: 'pem' }).toString())).toThrow(
      /P-256/,
    );
  });
});
