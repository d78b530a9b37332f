import { validRange } from 'semver';
import { validateCronExpression } from 'cron';
import type { FieldError } from '../common/validation.js';
import { InvalidPatternError, NameFilter } from './name-filter.js';

/** A policy's four pattern lists, as stored and as the API names them. */
export interface FilterPatterns {
  repositories: readonly string[];
  excludeRepositories: readonly string[];
  tags: readonly string[];
  excludeTags: readonly string[];
}

/** What an omitted `filters` (or an omitted list in it) means: every repository and tag. */
export const DEFAULT_FILTERS: FilterPatterns = {
  repositories: ['**'],
  excludeRepositories: [],
  tags: ['*'],
  excludeTags: [],
};

/** Fills omitted lists with their defaults. */
export function withDefaultFilters(filters: Partial<FilterPatterns> | undefined): FilterPatterns {
  return {
    repositories: filters?.repositories ?? DEFAULT_FILTERS.repositories,
    excludeRepositories: filters?.excludeRepositories ?? DEFAULT_FILTERS.excludeRepositories,
    tags: filters?.tags ?? DEFAULT_FILTERS.tags,
    excludeTags: filters?.excludeTags ?? DEFAULT_FILTERS.excludeTags,
  };
}

/** Each list with a pattern that does not compile, as `filters.<list>` field errors. */
export function filterProblems(filters: FilterPatterns): FieldError[] {
  const problems: FieldError[] = [];
  for (const key of ['repositories', 'excludeRepositories', 'tags', 'excludeTags'] as const) {
    try {
      NameFilter.compile(filters[key]);
    } catch (error) {
      if (!(error instanceof InvalidPatternError)) throw error;
      problems.push({ field: `filters.${key}`, reason: error.message });
    }
  }
  return problems;
}

/** The semver range's problem, if it is set and is not a range. */
export function semverProblem(range: string | null | undefined): FieldError[] {
  return range && validRange(range) === null
    ? [
        {
          field: 'filters.semver',
          reason: `${JSON.stringify(range)} is not a semver range (e.g. ">=1.2 <2", "^1.4", "1.x")`,
        },
      ]
    : [];
}

/** The reconcile schedule's problem, if it is set and is not a cron expression. */
export function reconcileCronProblem(cron: string | null | undefined): FieldError[] {
  return cron && !validateCronExpression(cron).valid
    ? [
        {
          field: 'reconcile.cron',
          reason: 'reconcile.cron must be a cron expression, or null for no schedule',
        },
      ]
    : [];
}
