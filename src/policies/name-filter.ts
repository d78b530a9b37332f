import { RE2JS } from 're2js';
import { globToRegex, InvalidPatternError, isLiteralGlob } from './glob-pattern.js';

export { InvalidPatternError } from './glob-pattern.js';

type Matcher = (name: string) => boolean;

export const REGEX_PREFIX = 're:';

/**
 * Include/exclude name matching for repositories and tags.
 *
 * A pattern is a glob (`*` within one path segment, `**` across segments, `?`,
 * `{a,b}`, `[a-z]`) or, written `re:…`, a regular expression matched against the
 * whole name. A name matches when some include pattern matches it and no exclude
 * pattern does.
 *
 * Names come from registries, and anyone who can push chooses them; filters run in
 * the event coalescer and the planner. Every pattern therefore runs on RE2 (re2js),
 * whose matching time is linear in the name: no pattern, however written, can make
 * a name take exponential time. RE2 has no backreferences or lookarounds; such
 * patterns are refused when the policy is saved.
 */
export class NameFilter {
  private constructor(
    private readonly include: Matcher[],
    private readonly exclude: Matcher[],
    private readonly literals: string[] | undefined,
  ) {}

  static compile(include: readonly string[], exclude: readonly string[] = []): NameFilter {
    const literals = include.every(isLiteral) ? [...new Set(include)] : undefined;
    return new NameFilter(include.map(compilePattern), exclude.map(compilePattern), literals);
  }

  matches(name: string): boolean {
    return this.include.some((m) => m(name)) && !this.exclude.some((m) => m(name));
  }

  /**
   * The exact names the include patterns allow, when none of them has a wildcard;
   * lets the planner work without a catalog listing (registries that do not offer one).
   */
  literalNames(): string[] | undefined {
    return this.literals?.filter((name) => this.matches(name));
  }
}

/** Compiles one pattern or throws InvalidPatternError saying why. */
export function compilePattern(pattern: string): Matcher {
  if (pattern.length === 0) throw new InvalidPatternError(pattern, 'empty pattern');
  const regex = pattern.startsWith(REGEX_PREFIX)
    ? compileRegex(pattern, pattern.slice(REGEX_PREFIX.length))
    : compileRegex(pattern, globToRegex(pattern));
  // testExact matches the whole name: no `^(?:…)$` wrapper for a pattern to escape
  // (`v1)|(rc` does not compile on its own, so it is refused instead).
  return (name) => regex.testExact(name);
}

function compileRegex(pattern: string, source: string): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (error) {
    const said = (error as Error).message.replace(/^error parsing regexp: /, '');
    throw new InvalidPatternError(
      pattern,
      `${said} (patterns run on RE2, a linear-time engine without backreferences or lookarounds)`,
    );
  }
}

function isLiteral(pattern: string): boolean {
  return !pattern.startsWith(REGEX_PREFIX) && isLiteralGlob(pattern);
}
