import picomatch from 'picomatch';

/** A filter pattern that does not compile. */
export class InvalidPatternError extends Error {
  override name = 'InvalidPatternError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid pattern ${JSON.stringify(pattern)}: ${reason}`);
  }
}

type Matcher = (name: string) => boolean;

const REGEX_PREFIX = 're:';

/**
 * Include/exclude name matching for repositories and tags.
 *
 * A pattern is a glob (`*` within one path segment, `**` across segments, `?`,
 * `{a,b}`) or, written `re:…`, a regular expression anchored at both ends. A name
 * matches when some include pattern matches it and no exclude pattern does.
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
  if (pattern.startsWith(REGEX_PREFIX)) {
    const source = pattern.slice(REGEX_PREFIX.length);
    try {
      const regex = new RegExp(`^(?:${source})$`, 'u');
      return (name) => regex.test(name);
    } catch (error) {
      throw new InvalidPatternError(pattern, (error as Error).message);
    }
  }
  try {
    const glob = picomatch(pattern, { dot: true, strictBrackets: true });
    return (name) => glob(name);
  } catch (error) {
    throw new InvalidPatternError(pattern, (error as Error).message);
  }
}

function isLiteral(pattern: string): boolean {
  return !pattern.startsWith(REGEX_PREFIX) && !picomatch.scan(pattern).isGlob;
}
