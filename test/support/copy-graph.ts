import {
  annotationsOf,
  artifactTypeOf,
  children,
  copyBlob,
  isKnownManifest,
  type Descriptor,
  type RegistryClient,
} from '../../src/oci/index.js';

export interface GraphCopy {
  digest: string;
  blobs: { digest: string; result: string }[];
}

/**
 * A minimal artifact copier for tests (the engine's real one lives elsewhere):
 * children before parents, exact bytes, blobs through copyBlob, referrers through
 * the destination's referrers support.
 */
export async function copyGraph(
  src: RegistryClient,
  srcRepo: string,
  dst: RegistryClient,
  dstRepo: string,
  reference: string,
  options: { referrers?: boolean; signal?: AbortSignal } = {},
): Promise<GraphCopy> {
  const report: GraphCopy = { digest: '', blobs: [] };
  const manifest = await src.getManifest(srcRepo, reference, options);
  const { descriptor, bytes } = manifest;
  if (isKnownManifest(descriptor.mediaType)) {
    const refs = children(bytes, descriptor.mediaType);
    for (const child of refs.manifests) {
      const sub = await copyGraph(src, srcRepo, dst, dstRepo, child.digest, options);
      report.blobs.push(...sub.blobs);
    }
    for (const blob of [...(refs.config ? [refs.config] : []), ...refs.layers]) {
      const copied = await copyBlob(src, srcRepo, dst, dstRepo, blob, { signal: options.signal });
      report.blobs.push({ digest: blob.digest, result: copied.result });
    }
    const pushed = await dst.putManifest(dstRepo, reference, bytes, descriptor.mediaType, options);
    if (refs.subject && !pushed.subjectIndexed) {
      const entry: Descriptor = {
        ...descriptor,
        artifactType: artifactTypeOf(bytes, descriptor.mediaType),
        annotations: annotationsOf(bytes),
      };
      await dst.addTagSchemaReferrer(dstRepo, refs.subject.digest, entry, options);
    }
  } else {
    await dst.putManifest(dstRepo, reference, bytes, descriptor.mediaType, options);
  }
  if (options.referrers) {
    const found = await src.referrers(srcRepo, descriptor.digest, options);
    for (const referrer of found.descriptors) {
      await copyGraph(src, srcRepo, dst, dstRepo, referrer.digest, {
        ...options,
        referrers: false,
      });
    }
  }
  report.digest = descriptor.digest;
  return report;
}
