import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy } from 'class-validator';
import type { ReferrerSelection } from '../../oci/index.js';

/** RFC 6838 media type names, as artifact types are written. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const MAX_TYPES = 50;

/** Why a `referrers` value is not one, or undefined when it is. */
export function referrerSelectionProblem(value: unknown): string | undefined {
  if (value === 'all' || value === 'none') return undefined;
  if (!Array.isArray(value))
    return 'referrers must be "all", "none" or a list of artifact types (media types)';
  if (value.length === 0) return 'referrers: an empty list copies nothing; say "none"';
  if (value.length > MAX_TYPES) return `referrers lists at most ${MAX_TYPES} artifact types`;
  const bad = value.find((t) => typeof t !== 'string' || !MEDIA_TYPE.test(t));
  if (bad !== undefined)
    return `referrers: ${JSON.stringify(bad)} is not an artifact type (a media type such as application/vnd.cncf.notary.signature)`;
  return undefined;
}

/** The policy's `referrers` option: which attached artifacts travel with their images. */
export function ReferrersOption(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description:
        'Signatures, attestations, SBOMs and other referrers copied with their images, whatever the tag filters say: ' +
        '"all", "none", or a list of artifact types. cosign\'s .sig, .att and .sbom tags count as ' +
        'application/vnd.dev.cosign.artifact.{sig,att,sbom}.v1+json.',
      oneOf: [
        { type: 'string', enum: ['all', 'none'] },
        { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_TYPES },
      ],
      default: 'all',
      example: [
        'application/vnd.cncf.notary.signature',
        'application/vnd.dev.cosign.artifact.sig.v1+json',
      ],
    }),
    IsOptional(),
    ValidateBy({
      name: 'isReferrerSelection',
      validator: {
        validate: (value) => referrerSelectionProblem(value) === undefined,
        defaultMessage: (args) => referrerSelectionProblem(args?.value) ?? 'invalid referrers',
      },
    }),
  );
}

export type { ReferrerSelection };
