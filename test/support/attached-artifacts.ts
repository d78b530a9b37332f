import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  AttachedMediaType,
  CosignAnnotation,
  MediaType,
  NotFoundError,
  cosignTag,
  digestOf,
  type CosignTagSuffix,
  type Descriptor,
  type RegistryClient,
} from '../../src/oci/index.js';

/**
 * Artifacts attached to images in the shapes the tools write them, pushed with
 * regrelay's own client:
 *
 * - cosign's default storage (sigstore/cosign specs/SIGNATURE_SPEC.md,
 *   ATTESTATION_SPEC.md, SBOM_SPEC.md; pkg/oci/static, pkg/oci/remote): one image
 *   manifest per subject and kind under `sha256-<hex>.sig` / `.att` / `.sbom`, one
 *   layer per signature, attestation or SBOM; signing again appends a layer and
 *   re-pushes the tag (a new digest). Signatures are simple-signing payloads with the
 *   ECDSA P-256 signature (base64, ASN.1 DER) in `dev.cosignproject.cosign/signature`;
 *   attestations DSSE envelopes with a `predicateType` annotation.
 * - Notation (notaryproject/specifications signature-specification.md): a referrer
 *   with `artifactType: application/vnd.cncf.notary.signature`, the empty config, one
 *   JWS envelope layer and the `io.cncf.notary.x509chain.thumbprint#S256` annotation.
 * - An SPDX SBOM as an OCI 1.1 referrer (as `oras attach` or syft's push write it).
 *
 * Referrers are listed in the `sha256-<hex>` index where the registry answers no
 * `OCI-Subject` (no referrers API), as those clients do.
 */
export class AttachedArtifacts {
  private readonly key: KeyObject;

  constructor(private readonly client: RegistryClient) {
    this.key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  }

  /** `cosign sign`: adds one signature to the subject's `.sig` tag (creating it). */
  async cosignSign(repository: string, subject: Descriptor): Promise<Descriptor> {
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': repository },
          image: { 'docker-manifest-digest': subject.digest },
          type: 'cosign container image signature',
        },
        optional: { nonce: randomBytes(8).toString('hex') },
      }),
    );
    return this.appendLayer(repository, subject, 'sig', payload, AttachedMediaType.SimpleSigning, {
      [CosignAnnotation.Signature]: sign('sha256', payload, this.key).toString('base64'),
    });
  }

  /** `cosign attest --type slsaprovenance`: adds a DSSE-wrapped in-toto statement to `.att`. */
  async cosignAttest(repository: string, subject: Descriptor): Promise<Descriptor> {
    const predicateType = 'https://slsa.dev/provenance/v0.2';
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType,
        subject: [{ name: repository, digest: { sha256: subject.digest.slice(7) } }],
        predicate: { builder: { id: 'https://regrelay.test/builder' }, buildType: 'test' },
      }),
    );
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${AttachedMediaType.InToto.length} ${AttachedMediaType.InToto} `),
      Buffer.from(`${statement.length} `),
      statement,
    ]);
    const envelope = Buffer.from(
      JSON.stringify({
        payloadType: AttachedMediaType.InToto,
        payload: statement.toString('base64'),
        signatures: [{ keyid: '', sig: sign('sha256', pae, this.key).toString('base64') }],
      }),
    );
    return this.appendLayer(repository, subject, 'att', envelope, AttachedMediaType.DsseEnvelope, {
      [CosignAnnotation.Signature]: '',
      predicateType,
    });
  }

  /** `cosign attach sbom --type spdx`: the SBOM as the `.sbom` tag's layer. */
  async cosignAttachSbom(repository: string, subject: Descriptor): Promise<Descriptor> {
    const sbom = Buffer.from(
      JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: subject.digest }),
    );
    return this.appendLayer(repository, subject, 'sbom', sbom, 'text/spdx+json', {});
  }

  /** `notation sign`: a Notary Project signature referrer (OCI 1.1 form). */
  async notationSign(repository: string, subject: Descriptor): Promise<Descriptor> {
    const jws = Buffer.from(
      JSON.stringify({
        payload: Buffer.from(JSON.stringify({ targetArtifact: pick(subject) })).toString(
          'base64url',
        ),
        protected: Buffer.from(
          JSON.stringify({ alg: 'ES256', cty: 'application/vnd.cncf.notary.payload.v1+json' }),
        ).toString('base64url'),
        header: { x5c: [randomBytes(32).toString('base64')] },
        signature: randomBytes(64).toString('base64url'),
      }),
    );
    const thumbprint = JSON.stringify([randomBytes(32).toString('hex').toUpperCase()]);
    return this.referrer(repository, subject, AttachedMediaType.NotarySignature, {
      blob: jws,
      blobMediaType: AttachedMediaType.NotaryJws,
      annotations: {
        'io.cncf.notary.x509chain.thumbprint#S256': thumbprint,
        'org.opencontainers.image.created': new Date().toISOString(),
      },
    });
  }

  /** An SPDX SBOM pushed as an OCI 1.1 referrer. */
  async sbomReferrer(repository: string, subject: Descriptor): Promise<Descriptor> {
    const sbom = Buffer.from(
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        name: `sbom of ${subject.digest}`,
        n: randomBytes(4).toString('hex'),
      }),
    );
    return this.referrer(repository, subject, AttachedMediaType.SpdxJson, {
      blob: sbom,
      blobMediaType: AttachedMediaType.SpdxJson,
      annotations: { 'org.opencontainers.image.created': new Date().toISOString() },
    });
  }

  /**
   * A referrer of `subject` (image-spec 1.1: `artifactType`, the empty config, one
   * blob, `subject`), listed in the `sha256-<hex>` index when the registry does not
   * index it itself. Returns its descriptor as a referrers list shows it.
   */
  async referrer(
    repository: string,
    subject: Descriptor,
    artifactType: string,
    content: { blob: Buffer; blobMediaType: string; annotations: Record<string, string> },
  ): Promise<Descriptor> {
    const config = await this.client.pushBlobBytes(
      repository,
      Buffer.from('{}'),
      MediaType.OciEmpty,
    );
    const layer = await this.client.pushBlobBytes(repository, content.blob, content.blobMediaType);
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config,
      layers: [layer],
      subject: pick(subject),
      annotations: content.annotations,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = digestOf(bytes);
    const put = await this.client.putManifest(repository, digest, bytes, MediaType.OciManifest);
    const descriptor: Descriptor = {
      mediaType: MediaType.OciManifest,
      digest,
      size: bytes.length,
      artifactType,
      annotations: content.annotations,
    };
    if (!put.subjectIndexed)
      await this.client.addTagSchemaReferrer(repository, subject.digest, descriptor);
    return descriptor;
  }

  /** Appends a layer to one of cosign's tags for `subject` (creating it), as cosign does. */
  private async appendLayer(
    repository: string,
    subject: Descriptor,
    suffix: CosignTagSuffix,
    content: Buffer,
    mediaType: string,
    annotations: Record<string, string>,
  ): Promise<Descriptor> {
    const tag = cosignTag(subject.digest, suffix);
    const layers: Descriptor[] = [];
    try {
      const current = await this.client.getManifest(repository, tag);
      const json = JSON.parse(current.bytes.toString('utf8')) as { layers: Descriptor[] };
      layers.push(...json.layers);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const blob = await this.client.pushBlobBytes(repository, content, mediaType);
    layers.push(Object.keys(annotations).length ? { ...blob, annotations } : blob);
    // cosign's signature image config: an empty image whose diff_ids are the layers.
    const config = await this.client.pushBlobBytes(
      repository,
      Buffer.from(
        JSON.stringify({
          architecture: '',
          created: '0001-01-01T00:00:00Z',
          history: [{ created: '0001-01-01T00:00:00Z' }],
          os: '',
          rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
          config: {},
        }),
      ),
      MediaType.OciConfig,
    );
    const bytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers }),
    );
    await this.client.putManifest(repository, tag, bytes, MediaType.OciManifest);
    return { mediaType: MediaType.OciManifest, digest: digestOf(bytes), size: bytes.length };
  }
}

function pick(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** What a registry holds attached to a subject, for comparing source and destination. */
export interface AttachedSnapshot {
  /** cosign tag suffix → digest (absent tags left out). */
  cosign: Partial<Record<CosignTagSuffix, string>>;
  /** Referrers as listed: `artifactType digest`, sorted. */
  referrers: string[];
  via: 'api' | 'tag-schema';
}

export async function attachedSnapshot(
  client: RegistryClient,
  repository: string,
  subject: string,
): Promise<AttachedSnapshot> {
  const cosign: AttachedSnapshot['cosign'] = {};
  for (const suffix of ['sig', 'att', 'sbom'] as const) {
    const found = await client.headManifest(repository, cosignTag(subject, suffix));
    if (found) cosign[suffix] = found.digest;
  }
  const found = await client.referrers(repository, subject);
  return {
    cosign,
    referrers: found.descriptors.map((d) => `${d.artifactType ?? '?'} ${d.digest}`).sort(),
    via: found.via,
  };
}
