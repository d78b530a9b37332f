import { Injectable } from '@nestjs/common';
import type { RegistryClient } from '../../oci/index.js';
import { listTags } from '../planning/destination-tags.js';

/** Listings kept at once (the oldest goes first). */
const MAX_LISTINGS = 256;

/**
 * Source repositories' tag listings, made at most once per execution and process:
 * a copy asks for an image's cosign tags and referrers index only when the listing
 * shows them, instead of three or four requests per image that mostly answer 404. A
 * listing is as old as its execution's first copy from that repository, so what is
 * attached after it (and reported by an event) reaches the destination with the
 * next execution, which the event starts.
 */
@Injectable()
export class SourceTagListings {
  private readonly listings = new Map<string, Promise<ReadonlySet<string> | undefined>>();

  forExecution(
    executionId: string,
    registryId: string,
    client: RegistryClient,
    signal: AbortSignal,
  ): (repository: string) => Promise<ReadonlySet<string> | undefined> {
    return (repository) => {
      const key = `${executionId}|${registryId}|${repository}`;
      let listing = this.listings.get(key);
      if (!listing) {
        listing = listTags(client, repository, signal);
        this.listings.set(key, listing);
        if (this.listings.size > MAX_LISTINGS)
          this.listings.delete(this.listings.keys().next().value!);
      }
      return listing;
    };
  }
}
