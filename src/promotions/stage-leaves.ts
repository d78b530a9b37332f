import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { LeafArrival } from './promotion.entity.js';

/**
 * The leaves below a stage's registry and repository, for a stage that roots a tree
 * topology, with when `digest` arrived at `tag` there if it already has.
 */
export type LeafSource = (
  registryId: string,
  repository: string,
  digest: string,
  tag: string | null,
) => Promise<LeafArrival[]>;

/**
 * The extension point for topologies: a stage may be the root of a tree topology,
 * and a promotion into it then reports, per leaf, when the digest arrived there.
 * The topologies module registers a LeafSource (which leaves lie below a registry
 * and repository) and calls `arrived` when its tree delivered a digest to a leaf.
 * Without a registered source, promotions have no leaves.
 */
@Injectable()
export class StageLeaves {
  private readonly sources: LeafSource[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  register(source: LeafSource): void {
    this.sources.push(source);
  }

  /**
   * The leaves a promotion of `digest` into this place waits to hear from (a leaf the
   * tree already delivered it to says when).
   */
  async expected(
    registryId: string,
    repository: string,
    digest: string,
    tag: string | null,
  ): Promise<LeafArrival[]> {
    const found = await Promise.all(
      this.sources.map((s) => s(registryId, repository, digest, tag)),
    );
    return found.flat();
  }

  /**
   * A tree delivered `digest` to a leaf: every succeeded promotion of that digest into
   * the root (`rootRegistryId`, `rootRepository`) that lists the leaf records when.
   */
  async arrived(
    rootRegistryId: string,
    rootRepository: string,
    digest: string,
    leaf: { registryId: string; repository: string },
    at: Date,
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      `UPDATE promotion SET leaves = (
         SELECT jsonb_agg(CASE WHEN l->>'registryId' = $4 AND l->>'repository' = $5 AND l->>'arrivedAt' IS NULL
                               THEN jsonb_set(l, '{arrivedAt}', to_jsonb($6::text)) ELSE l END)
         FROM jsonb_array_elements(leaves) l)
       WHERE destination_registry_id = $1 AND destination_repository = $2 AND digest = $3
         AND status = 'succeeded' AND jsonb_array_length(leaves) > 0`,
      [rootRegistryId, rootRepository, digest, leaf.registryId, leaf.repository, at.toISOString()],
    );
  }
}
