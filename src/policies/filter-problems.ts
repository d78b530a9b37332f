import { validateCronExpression } from 'cron';
import type { FieldError } from '../common/validation.js';
import { InvalidPatternError, NameFilter } from './name-filter.js';

/** Name patterns as policies and topologies store them. */
export interface PatternFields {
  repositories: string[];
  excludeRepositories: string[];
  tags: string[];
  excludeTags: string[];
}

/** Each filter list that does not compile, with the field (`filters.tags`…) and why. */
export function filterProblems(p: PatternFields): FieldError[] {
  const problems: FieldError[] = [];
  for (const [field, patterns] of [
    ['filters.repositories', p.repositories],
    ['filters.excludeRepositories', p.excludeRepositories],
    ['filters.tags', p.tags],
    ['filters.excludeTags', p.excludeTags],
  ] as const) {
    try {
      NameFilter.compile(patterns);
    } catch (error) {
      if (!(error instanceof InvalidPatternError)) throw error;
      problems.push({ field, reason: error.message });
    }
  }
  return problems;
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
