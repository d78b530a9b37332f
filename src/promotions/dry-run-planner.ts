import { Injectable } from '@nestjs/common';
import { mapConcurrent } from '../common/async-pool.js';
import { children, isIndex, type Descriptor, type RegistryClient } from '../oci/index.js';
import type { PlanDto } from './dto/promotion.dto.js';

/** Manifests a dry run walks at most (an index of indexes of many platforms, referrers). */
const MAX_MANIFESTS = 500;
const CONCURRENCY = 8;

/**
 * What a promotion would copy, without copying: walks the digest's graph at the
 * source (index → manifests → config and layers) and its referrers, and asks the
 * stage for each manifest and blob. Requests only read.
 */
@Injectable()
export class DryRunPlanner {
  async plan(
    source: RegistryClient,
    sourceRepository: string,
    destination: RegistryClient,
    destinationRepository: string,
    digest: string,
  ): Promise<PlanDto> {
    const plan: PlanDto = {
      manifests: 0,
      blobs: 0,
      bytes: 0,
      blobsPresent: 0,
      referrers: [],
      retag: false,
    };
    plan.retag = !!(await destination.headManifest(destinationRepository, digest));
    const seen = new Set<string>();
    const walk = async (manifestDigest: string): Promise<void> => {
      if (seen.has(manifestDigest) || seen.size >= MAX_MANIFESTS) return;
      seen.add(manifestDigest);
      if (await destination.headManifest(destinationRepository, manifestDigest)) return;
      plan.manifests++;
      const manifest = await source.getManifest(sourceRepository, manifestDigest);
      const graph = children(manifest.bytes, manifest.descriptor.mediaType);
      if (isIndex(manifest.descriptor.mediaType))
        await mapConcurrent(graph.manifests, CONCURRENCY, (m) => walk(m.digest));
      const blobs: Descriptor[] = [...(graph.config ? [graph.config] : []), ...graph.layers];
      await mapConcurrent(blobs, CONCURRENCY, async (blob) => {
        if (await destination.headBlob(destinationRepository, blob.digest)) plan.blobsPresent++;
        else {
          plan.blobs++;
          plan.bytes += blob.size;
        }
      });
    };
    await walk(digest);
    const referrers = await source.referrers(sourceRepository, digest);
    for (const r of referrers.descriptors) {
      plan.referrers.push({ digest: r.digest, artifactType: r.artifactType ?? null });
      await walk(r.digest);
    }
    return plan;
  }
}
