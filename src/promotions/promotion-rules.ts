import { ConflictException } from '@nestjs/common';
import { NameFilter } from '../policies/name-filter.js';
import type { StageEntity } from './pipeline.entity.js';

/** True when `tag` is immutable in the stage. */
export function isImmutable(
  stage: Pick<StageEntity, 'immutableTags'>,
  tag: string | null,
): boolean {
  return (
    !!tag && stage.immutableTags.length > 0 && NameFilter.compile(stage.immutableTags).matches(tag)
  );
}

/** 409: an immutable tag in a stage already points at another digest. */
export function immutableTagConflict(
  stage: string,
  tag: string,
  current: string,
  digest: string,
): ConflictException {
  return new ConflictException({
    statusCode: 409,
    error: 'Conflict',
    message: `Tag ${tag} in stage ${stage} is immutable and points at ${current}; it is never re-pointed to ${digest}. Promote under a new tag.`,
    stage,
    tag,
    current,
  });
}

/** 409: the digest is missing from the stage a promotion must come from. */
export function missingFromStage(
  stage: string,
  where: string,
  what: string,
  hint: string,
): ConflictException {
  return new ConflictException({
    statusCode: 409,
    error: 'Conflict',
    message: `${what} is not in stage ${stage} (${where}); ${hint}`,
    stage,
  });
}
