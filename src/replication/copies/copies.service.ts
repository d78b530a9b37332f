import { randomUUID } from 'node:crypto';
import { BadGatewayException, Injectable } from '@nestjs/common';
import { mapConcurrent } from '../../common/async-pool.js';
import { describeError } from '../../common/describe-error.js';
import { InvalidInputException, type FieldError } from '../../common/validation.js';
import { isDigest, isRepository, isTag, type Descriptor } from '../../oci/index.js';
import { RegistriesService } from '../../registries/registries.service.js';
import type { RegistryEntity } from '../../registries/registry.entity.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { ExecutionsService } from '../executions/executions.service.js';
import type { ExecutionSettings } from '../owners/execution-owner.js';
import { ExecutionOwners } from '../owners/execution-owners.js';
import type { PlannedTask } from '../planning/task-batch.js';
import type {
  CopiesAcceptedDto,
  CopyItemDto,
  CreateCopiesDto,
  ResolvedCopyDto,
} from './copy.dto.js';

/** Source lookups in flight while a request is checked. */
const RESOLVE_CONCURRENCY = 8;

/**
 * A copy names its destination tag: it replaces whatever that tag pointed at (a
 * promotion that must not overwrite checks before it asks).
 */
const COPY_SETTINGS: ExecutionSettings = {
  override: true,
  bandwidthLimit: null,
  maxConcurrency: null,
};

type Resolution =
  { descriptor: Pick<Descriptor, 'digest' | 'mediaType'> } | { problem: FieldError };

/**
 * One-off copies by digest (POST /api/v1/copies): checks every item, resolves tags
 * to digests once, and starts one execution holding a task per item. Each copy is
 * its own owner (the execution's id), so copies never wait for one another, and the
 * tasks are pinned: a tag moved after the request does not change what is copied.
 */
@Injectable()
export class CopiesService {
  constructor(
    owners: ExecutionOwners,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly executions: ExecutionsService,
  ) {
    owners.register('copy', { names: async () => new Map() });
  }

  async create(dto: CreateCopiesDto): Promise<CopiesAcceptedDto> {
    const registries = await this.registries.getMany(
      dto.items.flatMap((i) => [i.source.registryId, i.destination.registryId]),
    );
    const problems = dto.items.flatMap((item, i) => checkItem(item, `items[${i}]`, registries));
    if (problems.length) throw new InvalidInputException(problems);

    const resolved = await mapConcurrent(
      [...dto.items.entries()],
      RESOLVE_CONCURRENCY,
      ([i, item]) => this.resolve(item, `items[${i}]`, registries.get(item.source.registryId)!),
    );
    const unresolved = resolved.flatMap((r) => ('problem' in r ? [r.problem] : []));
    if (unresolved.length) throw new InvalidInputException(unresolved);

    const items = dto.items.map((item, i) =>
      toResolved(item, (resolved[i] as { descriptor: Descriptor }).descriptor.digest),
    );
    const duplicates = duplicateDestinations(items);
    if (duplicates.length) throw new InvalidInputException(duplicates);

    const id = randomUUID();
    await this.executions.createPlanned({
      id,
      owner: { kind: 'copy', id },
      trigger: 'manual',
      settings: COPY_SETTINGS,
      reason: dto.reason ?? null,
      tasks: items.map((item, i): PlannedTask => ({
        operation: 'copy',
        sourceRegistryId: item.source.registryId,
        sourceRepository: item.source.repository,
        destinationRegistryId: item.destination.registryId,
        destinationRepository: item.destination.repository,
        tag: item.destination.tag,
        digest: item.source.digest,
        mediaType: (resolved[i] as { descriptor: Descriptor }).descriptor.mediaType,
        status: 'pending',
        reason: null,
      })),
    });
    return { executionId: id, items };
  }

  /** The item's digest at its source, now; a missing tag or digest is the item's fault. */
  private async resolve(
    item: CopyItemDto,
    field: string,
    registry: RegistryEntity,
  ): Promise<Resolution> {
    const { repository, digest, tag } = item.source;
    const reference = digest ?? tag!;
    let found;
    try {
      found = await this.clients.forRegistry(registry).headManifest(repository, reference);
    } catch (error) {
      throw new BadGatewayException(
        `${field}.source: registry ${registry.name} could not be asked for ${repository}${digest ? '@' : ':'}${reference}: ${describeError(error)}`,
      );
    }
    if (found) return { descriptor: found };
    return {
      problem: {
        field: `${field}.source.${digest ? 'digest' : 'tag'}`,
        reason: `${repository}${digest ? '@' : ':'}${reference} does not exist at registry ${registry.name}`,
      },
    };
  }
}

/** What the DTO cannot say about one item; every problem at once. */
function checkItem(
  item: CopyItemDto,
  field: string,
  registries: Map<string, RegistryEntity>,
): FieldError[] {
  const problems: FieldError[] = [];
  const { source, destination } = item;
  for (const [side, registryId] of [
    ['source', source.registryId],
    ['destination', destination.registryId],
  ] as const) {
    if (!registries.has(registryId))
      problems.push({
        field: `${field}.${side}.registryId`,
        reason: `registry ${registryId} does not exist`,
      });
  }
  if (!isRepository(source.repository))
    problems.push({ field: `${field}.source.repository`, reason: REPOSITORY_RULE });
  if (destination.repository !== undefined && !isRepository(destination.repository))
    problems.push({ field: `${field}.destination.repository`, reason: REPOSITORY_RULE });
  if ((source.digest === undefined) === (source.tag === undefined))
    problems.push({ field: `${field}.source`, reason: 'give exactly one of digest and tag' });
  if (source.digest !== undefined && !isDigest(source.digest))
    problems.push({
      field: `${field}.source.digest`,
      reason: 'digest must be sha256:<64 hex> or sha512:<128 hex>',
    });
  for (const [at, tag] of [
    [`${field}.source.tag`, source.tag],
    [`${field}.destination.tag`, destination.tag],
  ] as const) {
    if (tag !== undefined && !isTag(tag)) problems.push({ field: at, reason: TAG_RULE });
  }
  return problems;
}

const REPOSITORY_RULE =
  'repository must be lowercase components of [a-z0-9] joined by ".", "_", "__" or "-", separated by "/"';
const TAG_RULE = 'tag must be 1-128 of [A-Za-z0-9_.-], not starting with "." or "-"';

function toResolved(item: CopyItemDto, digest: string): ResolvedCopyDto {
  return {
    source: {
      registryId: item.source.registryId,
      repository: item.source.repository,
      digest,
      tag: item.source.tag ?? null,
    },
    destination: {
      registryId: item.destination.registryId,
      repository: item.destination.repository ?? item.source.repository,
      tag: item.destination.tag ?? item.source.tag ?? null,
    },
  };
}

/** Two items writing the same destination reference would race: the later one is refused. */
function duplicateDestinations(items: ResolvedCopyDto[]): FieldError[] {
  const first = new Map<string, number>();
  const problems: FieldError[] = [];
  items.forEach(({ source, destination }, i) => {
    const key = `${destination.registryId}|${destination.repository}|${destination.tag ?? source.digest}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, i);
    else
      problems.push({
        field: `items[${i}].destination`,
        reason: `writes the same destination ${destination.tag ? 'tag' : 'digest'} as items[${earlier}]`,
      });
  });
  return problems;
}
