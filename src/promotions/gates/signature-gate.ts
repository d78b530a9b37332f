import { describeError } from '../../common/describe-error.js';
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  MAX_PAYLOAD_BYTES,
  cosignSignatureTag,
  keyFingerprint,
  parsePublicKey,
  signedLayers,
  verifySimpleSigning,
} from './cosign-signature.js';
import type { GateContext } from './gate-context.js';
import type { GateOutcome, SignatureGate } from './gate-types.js';
import { readSmallBlob } from './small-blob.js';

/** How often a digest without a signature is looked at again. */
export const SIGNATURE_RECHECK_MS = 15_000;
/** Signature manifests looked at per evaluation, at most. */
const MAX_CANDIDATES = 20;

interface Candidate {
  via: 'tag' | 'referrer';
  reference: string;
}

/**
 * A cosign signature of the digest exists in the source stage and verifies with
 * the configured key. Looked for where cosign puts it by default (the
 * `sha256-<hex>.sig` tag) and as OCI 1.1 referrers of the digest. None found:
 * waits (a signature may still be pushed); found but none verifies: refused.
 */
export async function evaluateSignature(
  gate: SignatureGate,
  ctx: GateContext,
): Promise<GateOutcome> {
  const key = parsePublicKey(gate.publicKey);
  const fingerprint = keyFingerprint(key);
  const artifactType = gate.artifactType ?? COSIGN_SIGNATURE_ARTIFACT_TYPE;
  const where = `stage ${ctx.sourceStage} (${ctx.sourceRegistry}, ${ctx.sourceRepository})`;
  const candidates = await findCandidates(ctx, artifactType);
  const failures: string[] = [];
  for (const candidate of candidates.slice(0, MAX_CANDIDATES)) {
    const manifest = await ctx.source.getManifest(ctx.sourceRepository, candidate.reference, {
      signal: ctx.signal,
    });
    for (const layer of signedLayers(manifest.bytes)) {
      if (layer.size > MAX_PAYLOAD_BYTES) {
        failures.push(`${candidate.reference}: payload ${layer.digest} is too large`);
        continue;
      }
      let payload: Buffer;
      try {
        payload = await readSmallBlob(
          ctx.source,
          ctx.sourceRepository,
          layer.digest,
          MAX_PAYLOAD_BYTES,
          ctx.signal,
        );
      } catch (error) {
        failures.push(`${candidate.reference}: payload unreadable (${describeError(error)})`);
        continue;
      }
      const verdict = verifySimpleSigning(payload, layer.signature, key, ctx.digest);
      if (verdict.ok)
        return {
          status: 'passed',
          reason: `signed: a cosign signature in ${where} verifies with key ${fingerprint}`,
          evidence: {
            via: candidate.via,
            signatureManifest: manifest.descriptor.digest,
            reference: candidate.reference,
            payload: layer.digest,
            key: fingerprint,
          },
        };
      failures.push(`${candidate.reference}: ${verdict.why}`);
    }
  }
  const looked = `looked at tag ${cosignSignatureTag(ctx.digest)} and referrers of type ${artifactType}`;
  if (!failures.length)
    return {
      status: 'pending',
      reason: `no signature of ${ctx.digest} in ${where} (${looked}); looking again every ${SIGNATURE_RECHECK_MS / 1000} s`,
      evidence: { key: fingerprint, candidates: candidates.map((c) => c.reference) },
      recheckAt: new Date(ctx.now.getTime() + SIGNATURE_RECHECK_MS),
    };
  return {
    status: 'refused',
    reason: `signature found in ${where}, but none verifies with key ${fingerprint}: ${failures.join('; ')}`,
    evidence: { key: fingerprint, failures },
  };
}

async function findCandidates(ctx: GateContext, artifactType: string): Promise<Candidate[]> {
  const tag = cosignSignatureTag(ctx.digest);
  const [tagged, referrers] = await Promise.all([
    ctx.source.headManifest(ctx.sourceRepository, tag, { signal: ctx.signal }),
    ctx.source.referrers(ctx.sourceRepository, ctx.digest, { artifactType, signal: ctx.signal }),
  ]);
  return [
    ...(tagged ? [{ via: 'tag' as const, reference: tag }] : []),
    ...referrers.descriptors.map((d) => ({ via: 'referrer' as const, reference: d.digest })),
  ];
}
